#!/usr/bin/env bash
# The size budget's measurement (docs/BINDINGS.md): the bindings' library built for the host
# (x86_64 Linux) the way the Android script builds it for phones: profile release-mobile,
# `--no-default-features` (no photo verification, no bundled web roots, no bindgen), C code
# without unwind tables, packed relative relocations, identical code folding. Prints the stripped size in bytes.
#
# Usage: bindings/scripts/measure-size.sh [--default-features | --check]
#   --default-features  the desktop feature set, for comparison
#   --check             fail (exit 1) when the phone library is over the budget, 3,000,000 bytes
source "$(dirname "$0")/lib.sh"
BUDGET=3000000
features=(--no-default-features)
[[ "${1:-}" == --default-features ]] && features=()
phone_c_flags "$(rustc -vV | sed -n 's/^host: //p')"
(cd "$WORKSPACE_DIR" && RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,pack-relative-relocs $PHONE_ICF_FLAGS" \
  cargo rustc "${CARGO_FLAGS[@]}" -p ereceipt-ffi --lib --crate-type cdylib \
  --profile release-mobile "${features[@]}" --quiet)
lib="$TARGET_DIR/release-mobile/$LIB_FILE"
size="$(stat -c %s "$lib")"
printf '%s bytes  %s\n' "$size" "$lib"
if [[ "${1:-}" == --check ]] && ((size > BUDGET)); then
  log "the phone library is $((size - BUDGET)) bytes over its budget of $BUDGET (docs/BINDINGS.md)"
  exit 1
fi
