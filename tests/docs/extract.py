#!/usr/bin/env python3
"""tests/docs/extract.py - writes the complete C programs of a Markdown file
(the ```c blocks that define main) to OUT, the Nth of them (0-based), so that
the test suite builds and runs the programs the docs show.

usage: extract.py FILE.md N OUT.c
"""
import re
import sys

src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(src, encoding="utf-8").read()
blocks = [b for b in re.findall(r"```c\n(.*?)```", text, re.S) if re.search(r"\bint main\(", b)]
if n >= len(blocks):
    sys.exit("%s: no complete program #%d (%d found)" % (src, n, len(blocks)))
with open(out, "w", encoding="utf-8") as f:
    f.write("/* Extracted from %s by tests/docs/extract.py: do not edit. */\n" % src)
    f.write(blocks[n])
