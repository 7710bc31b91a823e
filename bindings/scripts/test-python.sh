#!/usr/bin/env bash
# Builds the Python wheel with maturin (debug profile, the same target directory), installs it
# into a virtual environment and runs the pytest bridge tests (bindings/tests/python/).
#
# Installs what it needs, idempotently, from PyPI into $TOOLS_CACHE/venv: maturin, pytest and
# cryptography (the tests' P-256 signer). The live-platform tests need `ereceipt platform serve`
# (scripts/test.sh builds it); without it they are skipped, or fail with
# ERECEIPT_REQUIRE_PLATFORM=1.
source "$(dirname "$0")/lib.sh"

VENV="$TOOLS_CACHE/venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import maturin, pytest, cryptography' 2>/dev/null; then
  log "pip install maturin pytest cryptography"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.9,<2' 'pytest>=8' 'cryptography>=42'
fi

build_library

wheels="$TARGET_DIR/wheels"
rm -rf "$wheels"
log "maturin build (profile dev) -> $wheels"
(cd "$BINDINGS_DIR" && "$VENV/bin/maturin" build --quiet --profile dev --out "$wheels" >/dev/null)
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/ereceipt-*.whl

cd "$BINDINGS_DIR/tests/python"
# No __pycache__ in the work tree.
export PYTHONDONTWRITEBYTECODE=1
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
