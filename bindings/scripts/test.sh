#!/usr/bin/env bash
# Everything CI runs for the bindings: the generated bindings are current, then the Kotlin and
# the Python bridge tests, all on one cargo build in $CARGO_TARGET_DIR.
#
#   CARGO_TARGET_DIR=/work/target-bindings bindings/scripts/test.sh
#
# The live-platform tests run the `ereceipt` binary (`platform serve`), built here into the
# same target directory. Set ERECEIPT_REQUIRE_PLATFORM=1 (CI) to make its absence a failure.
source "$(dirname "$0")/lib.sh"
scripts="$(dirname "$0")"

build_library
# Separately from the library: one invocation for both would unify their dependencies' features
# and build every shared dependency a second time.
log "cargo build -p ereceipt-cli (the live platform)"
if ! (cd "$WORKSPACE_DIR" && cargo build "${CARGO_FLAGS[@]}" --quiet -p ereceipt-cli); then
  if [[ "${ERECEIPT_REQUIRE_PLATFORM:-0}" == 1 ]]; then exit 1; fi
  log "WARNING: ereceipt-cli did not build; the live-platform tests will be skipped"
fi

"$scripts/check-drift.sh"
status=0
"$scripts/test-kotlin.sh" || status=1
"$scripts/test-python.sh" || status=1
exit $status
