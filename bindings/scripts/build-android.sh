#!/usr/bin/env bash
# Builds the Android library of the SDK and lays it out as an AAR:
#
#   ereceipt-android-<version>.aar
#     AndroidManifest.xml           package org.ereceipt.sdk, minSdk 24
#     classes.jar                   the generated Kotlin (bindings/generated/kotlin), compiled
#     jni/<abi>/libereceipt_ffi.so  arm64-v8a, armeabi-v7a, x86_64; 16 KB page aligned
#     assets/ereceipt-mono-24.erfp  the receipt font pack: the phone library does not embed it;
#                                   the app passes it to installFontPack() at start-up
#     proguard.txt                  consumer rules keeping JNA and the bindings
#     R.txt                         empty (no Android resources)
#   ereceipt-android-<version>.pom  the AAR's runtime dependencies (JNA, kotlinx-coroutines)
#
# Tools it needs (not on the CI machine; on a developer's or a release machine):
#   - Android NDK r27 or newer (r28+ aligns to 16 KB by default; the flag below makes it
#     explicit for r27): ANDROID_NDK_HOME pointing at it
#   - cargo-ndk 3.5 or newer: cargo install cargo-ndk --locked
#   - rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   - a JDK 17 and kotlinc 2.x (the scripts/test-kotlin.sh cache is used when present)
#   - JNA 5.13+ (for compiling classes.jar only; the app depends on net.java.dev.jna:jna@aar)
#
# Usage:
#   bindings/scripts/build-android.sh                    # the real build, into $OUT
#   bindings/scripts/build-android.sh --dry-run          # print what would run
#   bindings/scripts/build-android.sh --host-stand-in    # lay out the AAR here with the HOST
#       Linux x86_64 library in jni/x86_64 as a labelled stand-in: checks the layout and the
#       classes.jar; the result is NOT installable on a phone.
#
# OUT defaults to $CARGO_TARGET_DIR/android.
source "$(dirname "$0")/lib.sh"

MODE=build
case "${1:-}" in
  --dry-run) MODE=dry-run ;;
  --host-stand-in) MODE=stand-in ;;
  "") ;;
  *) echo "usage: $0 [--dry-run | --host-stand-in]" >&2; exit 2 ;;
esac

VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$WORKSPACE_DIR/Cargo.toml" | head -n 1)"
OUT="${OUT:-$TARGET_DIR/android}"
AAR_DIR="$OUT/aar"
ABIS=(arm64-v8a armeabi-v7a x86_64)
MIN_SDK=24
# 16 KB pages (Android 15+ devices; required by Google Play for new apps since Nov 2025), and
# packed relocations (Android's APS2 format, API 23+): the .rela.dyn section shrinks from about
# 170 KB to a few KB (measured with the host linker's equivalent, docs/BINDINGS.md).
# Identical code folding as well (PHONE_ICF_FLAGS, lib.sh).
LINK_FLAGS="-C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,--pack-dyn-relocs=android $PHONE_ICF_FLAGS"
# C code without unwind tables (lib.sh; cargo-ndk adds its --target to these CFLAGS_<triple>).
for triple in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
  phone_c_flags "$triple"
done
KOTLIN_HOME="${KOTLIN_HOME:-$TOOLS_CACHE/kotlin-2.4.20/node_modules/kotlin-compiler}"
JNA_JAR="${JNA_JAR:-/usr/share/java/jna.jar}"

run() {
  if [[ "$MODE" == dry-run ]]; then
    printf '+ %s\n' "$*"
  else
    "$@"
  fi
}

rm -rf "$AAR_DIR"
mkdir -p "$AAR_DIR/jni"

# 1. The native libraries.
if [[ "$MODE" == stand-in ]]; then
  log "STAND-IN: host library instead of the Android ones"
  (cd "$WORKSPACE_DIR" && cargo rustc "${CARGO_FLAGS[@]}" -p ereceipt-ffi --lib --crate-type cdylib \
    --profile release-mobile --no-default-features --quiet)
  mkdir -p "$AAR_DIR/jni/x86_64"
  cp "$TARGET_DIR/release-mobile/libereceipt_ffi.so" "$AAR_DIR/jni/x86_64/"
  cat >"$AAR_DIR/jni/STAND-IN.txt" <<TXT
jni/x86_64/libereceipt_ffi.so is the HOST Linux (glibc) library, put here to check the AAR's
layout on a machine without the Android NDK. This AAR does not run on Android; build it with
bindings/scripts/build-android.sh (no option) on a machine with the NDK.
TXT
else
  if [[ "$MODE" == dry-run ]]; then
    ANDROID_NDK_HOME="${ANDROID_NDK_HOME:-\$ANDROID_NDK_HOME}"
  fi
  : "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to an Android NDK r27 or newer}"
  export ANDROID_NDK_HOME
  targets=()
  for abi in "${ABIS[@]}"; do targets+=(-t "$abi"); done
  run env RUSTFLAGS="${RUSTFLAGS:-} $LINK_FLAGS" \
    cargo ndk "${targets[@]}" --platform "$MIN_SDK" -o "$AAR_DIR/jni" \
    --manifest-path "$WORKSPACE_DIR/Cargo.toml" \
    build "${CARGO_FLAGS[@]}" -p ereceipt-ffi --lib --profile release-mobile --no-default-features
  if [[ "$MODE" == build ]]; then
    readelf="$(find "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt" -name llvm-readelf | head -n 1)"
    for abi in "${ABIS[@]}"; do
      lib="$AAR_DIR/jni/$abi/libereceipt_ffi.so"
      [[ -f "$lib" ]] || { log "missing $lib"; exit 1; }
      # Every LOAD segment must be aligned to 16 KB (0x4000) or more.
      while read -r align; do
        ((align >= 16384)) || { log "$lib: a LOAD segment is aligned to $align, not 16 KB"; exit 1; }
      done < <("$readelf" -lW "$lib" | awk '$1 == "LOAD" { print $NF }')
      log "$abi: $(stat -c %s "$lib") bytes, 16 KB aligned"
    done
  fi
fi

# 2. classes.jar: the generated Kotlin, compiled for Java 8 bytecode (D8 takes it for any
# minSdk) and Kotlin 2.0 metadata and API: a compiler reads metadata up to one version newer
# than itself, so apps on Kotlin 1.9 and later can use the AAR (2.4 metadata, kotlinc's
# default, would need Kotlin 2.3). JNA and coroutines are compile-only here: the app gets
# them from the POM.
classes="$OUT/classes"
run rm -rf "$classes"
run "$KOTLIN_HOME/bin/kotlinc" -nowarn -jvm-target 1.8 -language-version 2.0 -api-version 2.0 \
  -cp "$JNA_JAR:$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar" \
  "$BINDINGS_DIR/generated/kotlin/org/ereceipt/sdk/ereceipt.kt" -d "$classes"
run jar --create --file "$AAR_DIR/classes.jar" -C "$classes" .

# 3. The manifest, consumer rules, the empty R.txt and the POM.
cat >"$AAR_DIR/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.ereceipt.sdk">
    <uses-sdk android:minSdkVersion="$MIN_SDK" />
    <uses-permission android:name="android.permission.INTERNET" />
</manifest>
XML
cat >"$AAR_DIR/proguard.txt" <<'TXT'
# JNA finds the native functions and structures by reflection.
-keep class com.sun.jna.** { *; }
-keep class * implements com.sun.jna.** { *; }
-dontwarn java.awt.**
# The generated bindings are called from native code (callbacks) and by name.
-keep class org.ereceipt.sdk.** { *; }
TXT
: >"$AAR_DIR/R.txt"
mkdir -p "$AAR_DIR/assets"
cp "$WORKSPACE_DIR/core/assets/fontpack/ereceipt-mono-24.erfp" "$AAR_DIR/assets/"
cat >"$OUT/ereceipt-android-$VERSION.pom" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.ereceipt</groupId>
  <artifactId>ereceipt-android</artifactId>
  <version>$VERSION</version>
  <packaging>aar</packaging>
  <dependencies>
    <dependency>
      <groupId>net.java.dev.jna</groupId>
      <artifactId>jna</artifactId>
      <!-- 5.17.0: the first JNA whose Android libraries load on 16 KB page devices. -->
      <version>5.17.0</version>
      <type>aar</type>
    </dependency>
    <dependency>
      <groupId>org.jetbrains.kotlinx</groupId>
      <artifactId>kotlinx-coroutines-android</artifactId>
      <version>1.9.0</version>
    </dependency>
  </dependencies>
</project>
XML

aar="$OUT/ereceipt-android-$VERSION.aar"
[[ "$MODE" == stand-in ]] && aar="$OUT/ereceipt-android-$VERSION-HOST-STAND-IN.aar"
rm -f "$aar"
run bash -c "cd '$AAR_DIR' && zip -qr '$aar' ."
if [[ "$MODE" != dry-run ]]; then
  log "AAR: $aar"
  (cd "$AAR_DIR" && find . -type f | sort | sed 's/^/[bindings]   /' >&2)
fi
