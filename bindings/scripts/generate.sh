#!/usr/bin/env bash
# Regenerates the committed Kotlin, Swift and Python bindings in bindings/generated/ from the
# library, with the bindgen of this crate (same uniffi version as the library).
#
#   CARGO_TARGET_DIR=... bindings/scripts/generate.sh
source "$(dirname "$0")/lib.sh"
build_library
generate_into "$BINDINGS_DIR/generated"
log "generated: $(cd "$BINDINGS_DIR" && find generated -type f | sort | tr '\n' ' ')"
