#!/usr/bin/env bash
# The size budget's measurement (docs/BINDINGS.md): the bindings' library built for the host
# (x86_64 Linux) the way the Android script builds it for phones: profile release-mobile,
# `--no-default-features` (no photo verification, no bundled web roots, no bindgen), C code
# without unwind tables, packed relative relocations, identical code folding. Prints the stripped size in bytes.
#
# Usage: bindings/scripts/measure-size.sh [--default-features]  (the second for comparison)
source "$(dirname "$0")/lib.sh"
features=(--no-default-features)
[[ "${1:-}" == --default-features ]] && features=()
phone_c_flags "$(rustc -vV | sed -n 's/^host: //p')"
(cd "$WORKSPACE_DIR" && RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,pack-relative-relocs $PHONE_ICF_FLAGS" \
  cargo rustc "${CARGO_FLAGS[@]}" -p ereceipt-ffi --lib --crate-type cdylib \
  --profile release-mobile "${features[@]}" --quiet)
lib="$TARGET_DIR/release-mobile/$LIB_FILE"
printf '%s bytes  %s\n' "$(stat -c %s "$lib")" "$lib"
