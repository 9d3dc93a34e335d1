#!/usr/bin/env python3
"""summary.py — one closing line over every meson test log given:
'N passed, M failed'. A meson test that wraps pytest writes a JUnit file
named after it (<name>-junit.xml, or <stem>-junit.xml for a test named
<stem>-pytest) and counts as the test cases in that file; any other meson
test counts as one. A pytest run that failed without a failing case in its
file (a crash, a timeout, an error at collection) counts one failure more.
Usage: summary.py BUILD_DIR [BUILD_DIR...]"""
import glob, json, os, sys
import xml.etree.ElementTree as ET


def junit_counts(files):
    """(passed, failed) over the test suites in JUnit files."""
    passed = failed = 0
    for f in files:
        root = ET.parse(f).getroot()
        for s in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
            n = int(s.get("tests", 0))
            bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
            passed += n - bad - int(s.get("skipped", 0))
            failed += bad
    return passed, failed


passed = failed = 0
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(f"summary: {log} missing (build or test step failed)")
        failed += 1
        continue
    junit = {}
    for f in glob.glob(os.path.join(build, "**", "*-junit.xml"), recursive=True):
        junit.setdefault(os.path.basename(f)[:-len("-junit.xml")], []).append(f)
    for n, line in enumerate(open(log), 1):
        try:
            t = json.loads(line)
        except ValueError:   # e.g. two meson test runs wrote the log at once
            print(f"summary: {log}:{n} is not a JSON test result")
            failed += 1
            continue
        name, ok = t["name"], t["result"] in ("OK", "EXPECTEDFAIL")
        short = name.rsplit(" / ", 1)[-1]          # "hookgate:suite / NAME"
        files = junit.get(short[:-len("-pytest")] if short.endswith("-pytest") else short)
        p, f = junit_counts(files) if files else (0, 0)
        if not files:
            p, f = (1, 0) if ok else (0, 1)
        elif not ok and f == 0:
            f = 1
        passed += p
        failed += f
        if not ok:
            print(f"FAILED: {os.path.basename(build)}: {name} ({t['result']})")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
