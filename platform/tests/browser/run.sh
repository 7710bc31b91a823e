#!/usr/bin/env bash
# End-to-end tests of the platform's web pages in Debian's headless Chromium (issue 6).
#
# Installs what is missing (Debian's chromium, a CJK font for the screenshots, playwright-core
# from the lock file; never a browser download), starts `ereceipt demo --serve` on a fresh data
# directory and a free port, runs the node:test suites against it and always stops it.
# Screenshots go to tests/artifacts/browser/, with the demo's log.
#
# Environment: ERECEIPT_BIN (default: target/debug/ereceipt, built when absent), CHROMIUM
# (default /usr/bin/chromium).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
artifacts="$root/tests/artifacts/browser"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

step() { printf '\n--- browser tests: %s (%ss)\n' "$*" "$SECONDS"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
if [ ! -x "$CHROMIUM" ]; then
    if [ "$CHROMIUM" != /usr/bin/chromium ]; then
        echo "CHROMIUM=$CHROMIUM is not an executable" >&2
        exit 1
    fi
    packages+=(chromium)
fi
# Without a CJK font the Chinese pages' screenshots show boxes (the tests read text, not pixels).
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh)" ]; then
    packages+=(fonts-wqy-microhei)
fi
if [ ${#packages[@]} -gt 0 ]; then
    step "apt-get install ${packages[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
fi

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    echo "the browser tests need Node.js 20 or later (playwright-core); found: $(node --version 2>&1)" >&2
    exit 1
fi
# A relative ERECEIPT_BIN or CARGO_TARGET_DIR means relative to where we were started.
if [ -n "${ERECEIPT_BIN:-}" ] && [ "${ERECEIPT_BIN#/}" = "$ERECEIPT_BIN" ]; then
    ERECEIPT_BIN="$PWD/$ERECEIPT_BIN"
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ "${target_dir#/}" = "$target_dir" ]; then
    target_dir="$PWD/$target_dir"
fi
cd "$here"
wanted="$(node -p 'require("./package-lock.json").packages["node_modules/playwright-core"].version')"
installed="$(node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null || true)"
if [ "$installed" != "$wanted" ]; then
    step "npm ci (playwright-core $wanted)"
    npm ci --cache "$HOME/.cache/ereceipt/npm" --no-audit --no-fund
fi

if [ -z "${ERECEIPT_BIN:-}" ]; then
    ERECEIPT_BIN="$target_dir/debug/ereceipt"
    if [ ! -x "$ERECEIPT_BIN" ]; then
        step "cargo build -p ereceipt-cli"
        (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build -p ereceipt-cli --locked)
    fi
fi
if [ ! -x "$ERECEIPT_BIN" ]; then
    echo "ERECEIPT_BIN=$ERECEIPT_BIN is not an executable" >&2
    exit 1
fi

rm -rf "$artifacts"
mkdir -p "$artifacts"
work="$(mktemp -d)"
demo_pid=""
stop() {
    if [ -n "$demo_pid" ]; then
        kill "$demo_pid" 2>/dev/null || true
        wait "$demo_pid" 2>/dev/null || true
    fi
    cp "$work/demo.log" "$artifacts/demo.log" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT

step "starting the demo platform"
summary="$work/summary.json"
"$ERECEIPT_BIN" demo --dir "$work/demo" --serve --json --listen 127.0.0.1:0 \
    >"$summary" 2>"$work/demo.log" &
demo_pid=$!
# The demo prints its one-line JSON summary once every receipt is issued and verified, then
# serves until it is stopped.
for _ in $(seq 600); do
    if grep -q '}$' "$summary"; then
        break
    fi
    if ! kill -0 "$demo_pid" 2>/dev/null; then
        echo "the demo stopped before printing its summary:" >&2
        cat "$work/demo.log" >&2
        exit 1
    fi
    sleep 0.2
done
if ! grep -q '}$' "$summary"; then
    echo "the demo printed no summary within 120 s:" >&2
    cat "$work/demo.log" >&2
    exit 1
fi
echo "portal at $(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).portal_url' "$summary")"

step "node --test"
DEMO_SUMMARY="$summary" ARTIFACTS="$artifacts" \
    node --test --test-reporter=spec portal.test.mjs verify.test.mjs
step "done; screenshots in ${artifacts#"$root"/}"
