#!/usr/bin/env python3
"""Sums GoogleTest JSON reports (one per binary) into one line.

A binary that ran but left no report (crash, timeout) counts as one failure,
as does a demo that exited non-zero (read from the log's '=== demo exit N').
The PyTorch DLPack test's own 'dlpack-torch: N passed, N failed' line (between
'=== dlpack-torch' and '=== dlpack-torch exit N') adds to the totals; a missing
line, or a non-zero exit that the line does not account for, is one failure.
The NMS-vs-torchvision check ('nms-vs-torchvision: N passed, N failed') counts
the same way; the YOLO end-to-end check ('yolo-end-to-end: PASS|FAIL ...') is
one test.
The GPU conformance run's 'gpu-conformance: N passed, N failed' line (between
'=== gpu-conformance' and '=== gpu-conformance end') adds its counts; the
memcheck run ('=== memcheck exit N') is one test: passed when its
ERROR SUMMARY said 0 errors (exit 0).
Prints failing test names, then 'gpu-check: N passed, N failed, N skipped'.
"""
import json
import pathlib
import re
import sys

json_dir = pathlib.Path(sys.argv[1])
log = pathlib.Path(sys.argv[2]).read_text(errors="replace") if len(sys.argv) > 2 else ""
passed = failed = skipped = 0
failures = []
for exit_line in re.finditer(r"^=== (\S+) exit (\d+)$", log, re.M):
    name, code = exit_line.group(1), int(exit_line.group(2))
    report = json_dir / f"{name}.json"
    if name in ("dlpack-torch", "nms-vs-torchvision", "yolo-end-to-end"):
        start = log.rfind(f"=== {name}\n", 0, exit_line.start())
        section = log[start:exit_line.start()] if start >= 0 else ""
        summary = re.search(rf"^{name}: (\d+) passed, (\d+) failed$", section, re.M)
        verdict = re.search(rf"^{name}: (PASS|FAIL)\b", section, re.M)
        if summary is None and verdict is None:
            failed += 1
            failures.append(f"{name} (no summary line, exit {code})")
            continue
        if summary is not None:
            ok, bad = int(summary.group(1)), int(summary.group(2))
            names = [m.group(1).rstrip(":") for m in re.finditer(r"^FAILED (\S+)", section, re.M)]
            failures += [f"{name}:{n}" for n in names] if bad else []
        else:
            ok, bad = (1, 0) if verdict.group(1) == "PASS" else (0, 1)
            if bad:
                failures.append(f"{name} (see its section of the log)")
        passed += ok
        failed += bad
        if bad == 0 and code != 0:
            failed += 1
            failures.append(f"{name} (exit {code} after all tests passed)")
        continue
    if name == "memcheck":
        if code == 0:
            passed += 1
        else:
            failed += 1
            failures.append(f"memcheck (compute-sanitizer exit {code}; see memcheck.txt)")
        continue
    if name == "demo":
        if code == 0:
            passed += 1
        else:
            failed += 1
            failures.append(f"demo (exit {code})")
        continue
    if not report.exists():
        failed += 1
        failures.append(f"{name} (no report, exit {code})")
        continue
    data = json.loads(report.read_text())
    for suite in data.get("testsuites", []):
        for test in suite.get("testsuite", []):
            full = f"{name}:{suite['name']}.{test['name']}"
            if test.get("failures"):
                failed += 1
                failures.append(full)
            elif test.get("result") == "SKIPPED" or test.get("status") == "NOTRUN":
                skipped += 1
            else:
                passed += 1
conformance = re.search(r"^=== gpu-conformance\n(.*?)^=== gpu-conformance end$", log, re.M | re.S)
if conformance:
    summary = re.search(r"^gpu-conformance: (\d+) passed, (\d+) failed", conformance.group(1), re.M)
    if summary is None:
        failed += 1
        failures.append("gpu-conformance (no summary line; see gpu-conformance.txt)")
    else:
        passed += int(summary.group(1))
        failed += int(summary.group(2))
        if int(summary.group(2)):
            failures.append(f"gpu-conformance ({summary.group(2)} node tests; see gpu-conformance.txt)")
for f in failures:
    print(f"FAILED {f}")
print(f"gpu-check: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
