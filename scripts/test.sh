#!/usr/bin/env bash
# The README's test command: starts the services the tests need (scripts/services.sh), runs
# every Rust test of the workspace, then the binding bridge tests (Kotlin on the JVM, Python),
# then the Android demo's SDK-facing code on the JVM and the portal and verify page in headless
# Chromium, all on the one build in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh

step() { printf '\n--- %s (%ss)\n' "$*" "$SECONDS"; }

step "cargo test --workspace"
cargo test --workspace --locked "$@"

step "bindings: drift check, Kotlin and Python bridge tests"
CARGO_FLAGS=--locked ERECEIPT_REQUIRE_PLATFORM=1 bash bindings/scripts/test.sh

step "android-demo: its SDK-facing code compiled and run on the JVM"
ERECEIPT_REQUIRE_PLATFORM=1 bash android-demo/scripts/check-jvm.sh

step "browser: portal and verify page in headless Chromium"
# `cargo test` above built target/debug/ereceipt from this tree.
ERECEIPT_BIN="${CARGO_TARGET_DIR:-target}/debug/ereceipt" bash platform/tests/browser/run.sh
