#!/usr/bin/env python3
"""Replaces one generated section of docs/performance.md (issue 19).

    python3 scripts/perf-section.py DOC NAME FILE

The text of FILE goes between `<!-- BEGIN NAME -->` and `<!-- END NAME -->` of DOC
(appended, with the markers, if they are missing). Used by the benchmark scripts
(scripts/bench-performance.sh, scripts/bench-scale.sh).
"""
import pathlib
import sys

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
