#!/usr/bin/env bash
# Installs what the browser tests need (idempotent): Chromium's headless shell from
# Debian at /usr/bin/chromium-headless-shell (the same Blink as /usr/bin/chromium
# without the browser's UI layer: the six suites cost 49 CPU-s instead of 77, issue 17),
# and playwright-core (pinned in
# tests/browser/package-lock.json) under tests/browser/node_modules. Run it once
# before `cargo test -p liuhen-e2e --test it desk_browser::`; scripts/test-all.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

if [ ! -x /usr/bin/chromium-headless-shell ]; then
    echo "== installing chromium-headless-shell (apt)"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium-headless-shell
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js (18 or newer) first" >&2
    exit 1
fi

cd tests/browser
want=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$want" != "$have" ]; then
    echo "== npm ci (tests/browser: playwright-core $want)"
    npm ci --no-audit --no-fund
fi
echo "browser tools ready: $(/usr/bin/chromium-headless-shell --version 2>/dev/null | head -1), playwright-core $want"
