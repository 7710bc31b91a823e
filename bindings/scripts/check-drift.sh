#!/usr/bin/env bash
# Fails (exit 1) when the committed bindings in bindings/generated/ are not what the current
# library generates: run bindings/scripts/generate.sh and commit the result.
source "$(dirname "$0")/lib.sh"
build_library
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
generate_into "$scratch"
if diff -ru "$BINDINGS_DIR/generated" "$scratch" >"$scratch.diff" 2>&1; then
  rm -f "$scratch.diff"
  log "generated bindings are current"
else
  head -n 60 "$scratch.diff" >&2
  rm -f "$scratch.diff"
  log "DRIFT: bindings/generated/ differs from what the library generates; run bindings/scripts/generate.sh"
  exit 1
fi
