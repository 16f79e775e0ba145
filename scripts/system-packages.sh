#!/usr/bin/env bash
# Installs every Debian package the test run needs, in one apt-get call (idempotent):
# one `apt-get update` and one install instead of one per script, and only for what is
# missing. scripts/test-all.sh runs it in the background while the first build runs (it
# waits on the network and the disk, the build on the CPU). The scripts that need a
# package still check for it themselves, so each also works alone.
#
# Add a package here when a test script needs one.
set -euo pipefail

PACKAGES=(
    chromium-headless-shell # scripts/browser-tools.sh: the browser tests (Chromium without its UI)
    libjna-java junit4    # scripts/kotlin-tools.sh: Kotlin tests on the JVM
    aapt android-framework-res # scripts/check-android.sh: manifest and resources
    python3               # scripts/check-mobile.sh: Swift and Info.plist checks
    postgresql            # scripts/postgres.sh: the PostgreSQL backend's tests
    nginx                 # scripts/nginx.sh: two server instances behind one address
    pkg-config libsodium-dev libzstd-dev libsqlite3-dev # scripts/s3.sh: Garage's build
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" = 0 ]; then
    echo "system packages ready"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing Debian packages and no apt-get: install ${missing[*]} yourself" >&2
    exit 1
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then SUDO=(sudo); fi
echo "== installing ${missing[*]} (apt)"
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
echo "system packages ready"
