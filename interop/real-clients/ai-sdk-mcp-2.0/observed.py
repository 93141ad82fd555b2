#!/usr/bin/env python3
"""observed.py REPORT_DIR > observed.tsv: one line per scenario from test-client's JSON reports.

Columns: scenario, actual (client-scenario-outcome's details.actual), failing client checks
(comma-separated; a WARNING is marked `:warning`), one-line reason (the report's message for
the first failing check, else the expected and actual outcome; then the last error the driver
printed, from client-process-finished's stderr tail).
"""
import glob
import json
import os
import sys


def one_line(text):
    return " ".join(str(text).split())


def last_error(tail):
    """The driver's final error message (a multi-line one joined), with its cause if printed."""
    prefix = "ai-sdk-mcp-driver: "
    skip = ("transport:", "authorization ", "pre-registered", "connected and called", "cause:")
    lines = (tail or "").splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith(prefix) and not l[len(prefix):].startswith(skip)]
    if not starts:
        return ""
    block = []
    for line in lines[starts[-1]:]:
        if line.lstrip().startswith("at ") or (block and line.startswith(prefix)):
            break
        block.append(line[len(prefix):] if line.startswith(prefix) else line)
    cause = next((l[len(prefix):] for l in lines[starts[-1]:] if l.startswith(prefix + "cause:")), "")
    return one_line(" ".join(block + ([cause] if cause else [])))


def main(directory):
    print("scenario\tactual\tfailing client checks\treason")
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        if os.path.basename(path) == "summary.json":
            continue
        report = json.load(open(path))
        checks = report["checks"]
        outcome = next(c for c in checks if c["id"] == "client-scenario-outcome")
        process = next((c for c in checks if c["id"] == "client-process-finished"), {})
        failing = [c for c in checks if c["status"] in ("FAILURE", "ERROR", "WARNING")]
        names = [c["id"] + (":warning" if c["status"] == "WARNING" else "") for c in failing]
        details = outcome.get("details") or {}
        if failing:
            reason = failing[0].get("errorMessage") or failing[0]["name"]
        else:
            reason = f"as expected: {details.get('expected')}"
        error = last_error((process.get("details") or {}).get("stderrTail"))
        if error:
            reason += f"; client: {error}"
        print("\t".join([report["scenario"] if isinstance(report.get("scenario"), str) else os.path.basename(path)[:-5],
                         details.get("actual", ""), ",".join(names), one_line(reason)[:400]]))


if __name__ == "__main__":
    main(sys.argv[1])
