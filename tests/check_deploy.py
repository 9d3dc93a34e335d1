#!/usr/bin/env python3
"""check_deploy.py — every variable the files in deploy/ set for a program
(its .env file and the Environment= lines of its .service unit) is one of
that program's settings (the variable column of its settings table) or an
AWS SDK variable; the unit starts the program it is named after.
Usage: check_deploy.py DEPLOY_DIR NAME=COMMAND... (COMMAND prints the
Markdown settings table; split on spaces)."""
import os
import re
import subprocess
import sys

deploy = sys.argv[1]
bad = 0
for spec in sys.argv[2:]:
    name, cmd = spec.split("=", 1)
    table = subprocess.run(cmd.split(), capture_output=True, text=True, check=True).stdout
    known = set(re.findall(r"^\|[^|]*\| `([A-Z0-9_]+)` \|", table, re.M))
    if not known:
        print(f"{name}: no variables in the output of `{cmd}`")
        bad += 1
        continue
    env = open(os.path.join(deploy, name + ".env"), encoding="utf-8").read()
    unit = open(os.path.join(deploy, name + ".service"), encoding="utf-8").read()
    keys = re.findall(r"^([A-Z][A-Z0-9_]*)=", env, re.M)
    keys += re.findall(r"^Environment=([A-Z][A-Z0-9_]*)=", unit, re.M)
    for k in keys:
        if k not in known and not k.startswith("AWS_"):
            print(f"deploy/{name}: {k} is not a setting of {name}")
            bad += 1
    if not re.search(r"^ExecStart=\S*/%s(\s|$)" % re.escape(name), unit, re.M):
        print(f"deploy/{name}.service: ExecStart does not run {name}")
        bad += 1
    print(f"{name}: {len(keys)} variables checked")
sys.exit(1 if bad else 0)
