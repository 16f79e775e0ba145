#!/usr/bin/env bash
# Regenerates sections of docs/performance.md from the benchmarks (issue 19): each
# section is the markdown the benchmark prints, with its baseline measured in the same
# run, and replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->`
# (appended if the markers are missing). Optimised builds of the measured crate only.
#
#   bash scripts/bench-performance.sh [reading] [ingest] [chain]   (none: all three)
#
#   reading  cargo bench -p liuhen-core --bench reading, then -p liuhen-ffi --bench records
#   ingest   scripts/bench-evidence.sh ingest (installs vipsthumbnail if missing)
#   chain    scripts/bench-evidence.sh chain
set -euo pipefail
cd "$(dirname "$0")/.."
DOC=docs/performance.md
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(reading ingest chain)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The lines between `<!-- md:NAME -->` and `<!-- /md -->` of a bench's output.
extract() {
    awk -v name="$1" '$0 == "<!-- md:" name " -->" {on=1; next} $0 == "<!-- /md -->" {on=0} on'
}

for s in "${sections[@]}"; do
    echo "== $s" >&2
    case "$s" in
        reading)
            {
                CARGO_INCREMENTAL=0 cargo bench -q -p liuhen-core --bench reading
                echo
                CARGO_INCREMENTAL=0 cargo bench -q -p liuhen-ffi --bench records
            } | tee "$tmp/raw" >"$tmp/$s.md"
            ;;
        ingest | chain)
            CARGO_INCREMENTAL=0 bash scripts/bench-evidence.sh "$s" | tee "$tmp/raw" | extract "$s" >"$tmp/$s.md"
            ;;
        *)
            echo "unknown section $s (reading, ingest, chain)" >&2
            exit 2
            ;;
    esac
    if [ ! -s "$tmp/$s.md" ]; then
        echo "the $s benchmark printed no markdown" >&2
        exit 1
    fi
    python3 - "$DOC" "$s" "$tmp/$s.md" <<'PY'
import pathlib, sys
doc, name, part = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3]).read_text().strip()
begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
text = doc.read_text() if doc.exists() else "# Performance\n"
block = f"{begin}\n{part}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
doc.write_text(text)
PY
    echo "== $s written to $DOC" >&2
done
