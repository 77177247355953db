#!/usr/bin/env python3
"""Count test cases from meson's testlog.json: each TAP line of each test program is a case; a
program that failed without reporting a failing case counts as one failure."""
import json
import re
import sys

passed = failed = skipped = 0
try:
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
except OSError as e:
    print(f"no test log: {e}")
    print("0 passed, 1 failed")
    sys.exit(1)

for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    p = f = s = 0
    for out in (t.get("stdout") or "").splitlines():
        m = re.match(r"^(not ok|ok)\b(.*)$", out)
        if not m:
            continue
        if m.group(1) == "not ok" and "# TODO" not in m.group(2):
            f += 1
        elif "# SKIP" in m.group(2):
            s += 1
        else:
            p += 1
    result = t.get("result")
    if result == "SKIP" and p + f + s == 0:
        s = 1
    if result not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
        f = 1
        print(f"{t.get('name')}: {result}")
    passed += p
    failed += f
    skipped += s

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
