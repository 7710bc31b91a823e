#!/usr/bin/env bash
# Builds the iOS XCFramework of the SDK and a Swift package around it:
#
#   $OUT/EReceipt/
#     Package.swift                     SwiftPM: library EReceipt = Swift bindings + binary target
#     EReceiptFFI.xcframework/          ios-arm64 (devices), ios-arm64_x86_64-simulator
#       */libereceipt_ffi.a             the static library of that slice
#       */Headers/EReceiptFFI.h         the generated C header
#       */Headers/module.modulemap      module EReceiptFFI
#     Sources/EReceipt/EReceipt.swift   the generated Swift bindings
#     Sources/EReceipt/FontPack.swift   installBundledFontPack(): installs the font pack below
#     Sources/EReceipt/ereceipt-mono-24.erfp  the receipt font pack (a resource: the phone
#                                       library does not embed it, docs/BINDINGS.md)
#
# Tools it needs (macOS only; none of them exists on the Linux CI machine):
#   - Xcode 16 or newer (xcodebuild, lipo), with the iOS SDK
#   - rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   - IPHONEOS_DEPLOYMENT_TARGET (default 15.0), the oldest iOS the library supports
#
# Usage:
#   bindings/scripts/build-ios.sh              # the real build (macOS)
#   bindings/scripts/build-ios.sh --dry-run    # print the build commands and lay out the
#       headers, module map, Swift sources and Package.swift (runs anywhere)
#
# OUT defaults to $CARGO_TARGET_DIR/ios.
source "$(dirname "$0")/lib.sh"

MODE=build
case "${1:-}" in
  --dry-run) MODE=dry-run ;;
  "") [[ "$(uname -s)" == Darwin ]] || { echo "needs macOS and Xcode; try --dry-run" >&2; exit 2; } ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

OUT="${OUT:-$TARGET_DIR/ios}"
PACKAGE="$OUT/EReceipt"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"
DEVICE=aarch64-apple-ios
SIMULATORS=(aarch64-apple-ios-sim x86_64-apple-ios)
LIB=libereceipt_ffi.a

run() {
  if [[ "$MODE" == dry-run ]]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

rm -rf "$PACKAGE" "$OUT/headers" "$OUT/simulator"
mkdir -p "$PACKAGE/Sources/EReceipt" "$OUT/headers" "$OUT/simulator"

# 1. Static libraries: one per target, without the bindgen (`--no-default-features`).
for target in "$DEVICE" "${SIMULATORS[@]}"; do
  run cargo build "${CARGO_FLAGS[@]}" --manifest-path "$WORKSPACE_DIR/Cargo.toml" -p ereceipt-ffi --lib \
    --profile release-mobile --no-default-features --target "$target"
done

# 2. One simulator library for both simulator architectures.
run lipo -create \
  "$TARGET_DIR/aarch64-apple-ios-sim/release-mobile/$LIB" \
  "$TARGET_DIR/x86_64-apple-ios/release-mobile/$LIB" \
  -output "$OUT/simulator/$LIB"

# 3. Headers: the generated C header and its module map, named as Xcode expects.
cp "$BINDINGS_DIR/generated/swift/EReceiptFFI.h" "$OUT/headers/"
cp "$BINDINGS_DIR/generated/swift/EReceiptFFI.modulemap" "$OUT/headers/module.modulemap"

# 4. The XCFramework.
run xcodebuild -create-xcframework \
  -library "$TARGET_DIR/$DEVICE/release-mobile/$LIB" -headers "$OUT/headers" \
  -library "$OUT/simulator/$LIB" -headers "$OUT/headers" \
  -output "$PACKAGE/EReceiptFFI.xcframework"

# 5. The Swift bindings and a Swift package that ties them to the framework.
cp "$BINDINGS_DIR/generated/swift/EReceipt.swift" "$PACKAGE/Sources/EReceipt/"
cp "$WORKSPACE_DIR/core/assets/fontpack/ereceipt-mono-24.erfp" "$PACKAGE/Sources/EReceipt/"
cat >"$PACKAGE/Sources/EReceipt/FontPack.swift" <<'SWIFT'
import Foundation

/// Installs the receipt font pack that ships in this package's resources. The phone library
/// does not embed it (to stay small): call this once at start-up, before anything is issued or
/// verified.
public func installBundledFontPack() throws {
    guard let url = Bundle.module.url(forResource: "ereceipt-mono-24", withExtension: "erfp") else {
        throw EReceiptError.InvalidInput(field: "font_pack", reason: "the package's font pack resource is missing")
    }
    try installFontPack(bytes: Data(contentsOf: url))
}
SWIFT
cat >"$PACKAGE/Package.swift" <<'SWIFT'
// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "EReceipt",
    platforms: [.iOS(.v15)],
    products: [.library(name: "EReceipt", targets: ["EReceipt"])],
    targets: [
        .binaryTarget(name: "EReceiptFFI", path: "EReceiptFFI.xcframework"),
        .target(name: "EReceipt", dependencies: ["EReceiptFFI"], path: "Sources/EReceipt",
                resources: [.copy("ereceipt-mono-24.erfp")]),
    ]
)
SWIFT

log "Swift package: $PACKAGE ($MODE)"
(cd "$OUT" && find . -type f | sort | sed 's/^/[bindings]   /' >&2)
