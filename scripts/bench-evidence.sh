#!/usr/bin/env bash
# Runs the evidence benchmarks (benches/benches/evidence.rs): photo ingest against
# vipsthumbnail and ImageMagick, hashing against sha256sum, audit-chain verification.
# Installs the reference tools first when they are missing (Debian/Ubuntu, apt-get;
# `apt-get update` only if the plain install fails). Without them the bench still
# runs and reports the references as absent.
#
# Usage: scripts/bench-evidence.sh [ingest|hash|chain ...]   (no argument: all three)
# Expect several minutes: an optimised build, 8 generated 12 MP photos, a 1 GiB file.
set -euo pipefail
cd "$(dirname "$0")/.."

has_imagemagick() {
    local c
    # A `convert` on the PATH may be a stand-in that is not ImageMagick.
    for c in magick /usr/bin/convert convert; do
        if "$c" -version 2>/dev/null | head -n 1 | grep -q ImageMagick; then
            return 0
        fi
    done
    return 1
}

if ! command -v vipsthumbnail >/dev/null 2>&1 || ! has_imagemagick; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo=()
        if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        fi
        export DEBIAN_FRONTEND=noninteractive
        pkgs=(libvips-tools imagemagick)
        echo "== installing reference tools: ${pkgs[*]}"
        if ! "${sudo[@]}" apt-get install -y "${pkgs[@]}"; then
            echo "== install failed; running apt-get update and retrying"
            "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "${pkgs[@]}" ||
                echo "warning: could not install ${pkgs[*]}; the bench will report them as absent" >&2
        fi
    else
        echo "warning: no apt-get; install libvips-tools and imagemagick yourself for the reference rows" >&2
    fi
fi
command -v sha256sum >/dev/null 2>&1 ||
    echo "warning: sha256sum (coreutils) not found; the hashing reference will be absent" >&2

echo "== vipsthumbnail: $(vipsthumbnail --version 2>/dev/null || echo absent)"
echo "== ImageMagick:   $(if has_imagemagick; then echo present; else echo absent; fi)"
exec cargo bench -p liuhen-benches --no-default-features --bench evidence -- "$@"
