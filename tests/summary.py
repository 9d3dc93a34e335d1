#!/usr/bin/env python3
"""summary.py — one closing line over every meson test log given:
'N passed, M failed'. A meson test that wraps pytest counts as the test
cases in its JUnit file(s) next to the log; any other meson test counts
as one. Usage: summary.py BUILD_DIR [BUILD_DIR...]"""
import glob, json, os, sys
import xml.etree.ElementTree as ET

passed = failed = 0
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(f"summary: {log} missing (build or test step failed)")
        failed += 1
        continue
    junit = {}
    for f in glob.glob(os.path.join(build, "**", "*junit*.xml"), recursive=True):
        junit.setdefault(os.path.basename(f).split("-junit")[0], []).append(f)
    for line in open(log):
        t = json.loads(line)
        name, ok = t["name"], t["result"] in ("OK", "EXPECTEDFAIL")
        stem = name.replace("-pytest", "").replace("_pytest", "")
        files = junit.get(stem) if "pytest" in name else None
        if files and ok:
            for f in files:
                root = ET.parse(f).getroot()
                for s in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
                    n = int(s.get("tests", 0)); bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
                    passed += n - bad - int(s.get("skipped", 0)); failed += bad
        elif ok:
            passed += 1
        else:
            failed += 1
            print(f"FAILED: {os.path.basename(build)}: {name} ({t['result']})")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
