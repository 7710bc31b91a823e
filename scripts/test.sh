#!/usr/bin/env bash
# The README's test command: starts the services the tests need (scripts/services.sh), then
# runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
cargo test --workspace --locked "$@"
