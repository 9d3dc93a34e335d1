#!/usr/bin/env python3
"""check_readme.py — every settings table in README.md between
<!-- settings:NAME --> and <!-- /settings:NAME --> must equal what the program
prints. Usage: check_readme.py README.md NAME=COMMAND... (COMMAND split on
spaces)."""
import re, subprocess, sys

readme = open(sys.argv[1], encoding="utf-8").read()
bad = 0
for spec in sys.argv[2:]:
    name, cmd = spec.split("=", 1)
    m = re.search(r"<!-- settings:%s -->\n(.*?)<!-- /settings:%s -->" % (re.escape(name), re.escape(name)),
                  readme, re.S)
    if not m:
        print(f"README.md has no settings block for {name}")
        bad += 1
        continue
    out = subprocess.run(cmd.split(), capture_output=True, text=True, check=True).stdout
    if out.strip() != m.group(1).strip():
        print(f"README.md's settings for {name} differ from `{cmd}`; replace the block with:\n{out}")
        bad += 1
    else:
        print(f"{name}: README settings match")
sys.exit(1 if bad else 0)
