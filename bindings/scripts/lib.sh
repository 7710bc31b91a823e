# Shared by the scripts in this folder (sourced, not run).
#
# CARGO_TARGET_DIR: the target directory to build in and read from (default: the workspace's
# `target/`). One build of `ereceipt-ffi --features cli` (debug, unstripped) gives both the
# library the tests load and the `uniffi-bindgen` that reads its metadata.

set -euo pipefail

BINDINGS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKSPACE_DIR="$(cd "$BINDINGS_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$WORKSPACE_DIR/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
# Where test tools downloaded from registries are kept, outside the repository.
TOOLS_CACHE="${ERECEIPT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ereceipt}"

case "$(uname -s)" in
  Darwin) LIB_FILE=libereceipt_ffi.dylib ;;
  *) LIB_FILE=libereceipt_ffi.so ;;
esac
LIB_PATH="$TARGET_DIR/debug/$LIB_FILE"
# Extra cargo flags, e.g. CARGO_FLAGS=--locked in CI (not the default: while several people
# work in one checkout, Cargo.lock may lag behind another crate's new dependency).
read -r -a CARGO_FLAGS <<<"${CARGO_FLAGS:-}"
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"

log() { printf '[bindings] %s\n' "$*" >&2; }

# Builds the debug library and the bindgen once; cargo makes later calls no-ops.
build_library() {
  log "cargo build -p ereceipt-ffi --features cli (target dir $TARGET_DIR)"
  (cd "$WORKSPACE_DIR" && cargo build "${CARGO_FLAGS[@]}" -p ereceipt-ffi --features cli --quiet)
}

# generate_into DIR: Kotlin, Swift and Python bindings of the built library into DIR/{kotlin,swift,python}.
generate_into() {
  local out="$1"
  rm -rf "$out"
  mkdir -p "$out"
  for language in kotlin swift python; do
    # Library mode: the bindgen reads the metadata the proc-macros left in the (unstripped)
    # library and finds bindings/uniffi.toml through `cargo metadata`. `--no-format`: the
    # output must not depend on whether ktlint or swiftformat happens to be installed.
    (cd "$WORKSPACE_DIR" && "$BINDGEN" generate --library "$LIB_PATH" --language "$language" \
      --out-dir "$out/$language" --no-format >/dev/null)
  done
}

# Identical code folding for the phone libraries (lld, the linker of the NDK and of this host):
# functions with the same machine code are kept once, about 21 KB less (docs/BINDINGS.md).
# `all`, not `safe`: rustc emits no address-significance tables, so `safe` folds nothing, and
# Rust promises no distinct addresses for distinct functions (`std::ptr::fn_addr_eq`). iOS needs
# nothing: Apple's linker deduplicates by default when the app is linked.
PHONE_ICF_FLAGS="-C link-arg=-Wl,--icf=all"

# C code in the phone builds (ring's C and assembly parts, the only C left) without unwind
# tables. No Rust panic unwinds through a C frame: ring's C calls no Rust. So the tables would
# only serve debuggers and crash reporters walking a stack through ring's frames; the crashing
# frame itself is still reported. iOS keeps the default.
# PHONE_C_UNWIND_TABLES=1 keeps the tables. Usage: phone_c_flags TARGET_TRIPLE
phone_c_flags() {
  [[ "${PHONE_C_UNWIND_TABLES:-}" == 1 ]] && return 0
  local var="CFLAGS_${1//-/_}"
  export "$var=${!var:-} -fno-asynchronous-unwind-tables -fno-unwind-tables"
}
