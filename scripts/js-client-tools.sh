#!/usr/bin/env bash
# Installs the packages of the independent JavaScript device client (idempotent):
# @automerge/automerge and tus-js-client, pinned in tests/js-client/package-lock.json,
# under tests/js-client/node_modules. Run it once before
# `cargo test -p liuhen-e2e --test it js_client::`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js (20 or newer) first" >&2
    exit 1
fi

cd tests/js-client
stale=0
for pkg in @automerge/automerge tus-js-client; do
    want=$(node -p "require('./package-lock.json').packages['node_modules/$pkg'].version")
    have=$(node -p "try { require('./node_modules/$pkg/package.json').version } catch { '' }")
    if [ "$want" != "$have" ]; then
        stale=1
    fi
done
if [ "$stale" = 1 ]; then
    echo "== npm ci (tests/js-client)"
    npm ci --no-audit --no-fund
fi
echo "js client ready: $(node --version), @automerge/automerge $(node -p "require('./node_modules/@automerge/automerge/package.json').version"), tus-js-client $(node -p "require('./node_modules/tus-js-client/package.json').version")"
