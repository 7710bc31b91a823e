#!/usr/bin/env bash
# The README's test command: starts the services the tests need (scripts/services.sh), runs
# every Rust test of the workspace, then the binding bridge tests (Kotlin on the JVM, Python),
# all on the one build in target/. (The headless-Chromium tests of the portal are not written
# yet: see issue 6.)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh

step() { printf '\n--- %s (%ss)\n' "$*" "$SECONDS"; }

step "cargo test --workspace"
cargo test --workspace --locked "$@"

step "bindings: drift check, Kotlin and Python bridge tests"
CARGO_FLAGS=--locked ERECEIPT_REQUIRE_PLATFORM=1 bash bindings/scripts/test.sh
