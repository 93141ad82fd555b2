#!/usr/bin/env python3
"""Compares a client's `test-client --format json --out DIR` reports with its expected.json.

    compare.py --client NAME --expected FILE --reports DIR [--scenarios FILE] [--table FILE]

The spec verdict is the default: every client check of every scenario passes and the client
exits on its own. expected.json lists the exceptions per scenario (see README.md):

  "fail": ["check-id", ...]   the client checks that must FAIL, with "why" (the spec reference)
  "known_failure": "reason"   the judge's verdict is wrong here; "evidence" says why. The
                              scenario prints KNOWN whatever the judge says (and notes when the
                              spec verdict is met after all, so that the entry can go).

Prints PASS / FAIL / KNOWN per scenario and `N passed, N failed, N known` for the client;
exits 1 when any scenario failed. `client-process` stands for the run's own expectation that
the client exits within the timeout. --table writes the results as JSON lines for the README.
Python 3 standard library only.
"""

import argparse
import json
import sys
from pathlib import Path


def warned(report):
    """The check ids the report gives a WARNING (a SHOULD the client missed)."""
    warns = []
    for check in report.get("checks") or []:
        if check.get("status") == "WARNING" and check["id"] not in warns:
            warns.append(check["id"])
    return warns


def observed(report):
    """The failing check ids, the outcome note and the client's exit note of one report."""
    fails = []
    for check in report.get("checks") or []:
        if check.get("status") == "FAILURE" and check["id"] not in fails:
            fails.append(check["id"])
    outcome = process = ""
    for expectation in report.get("expectations") or []:
        if expectation.get("description") == "client outcome":
            outcome = f'outcome {expectation.get("expected")} -> {expectation.get("actual")}'
        elif expectation.get("description") == "client process":
            process = expectation.get("actual") or ""
            if not expectation.get("met", True) and "client-process" not in fails:
                fails.append("client-process")
    return fails, outcome, process


def stderr_tail(report, lines=8):
    """The last lines the client wrote to stderr, as test-client recorded them (redacted):
    what a failed run's log line alone cannot say, such as a callback port already taken."""
    for check in report.get("checks") or []:
        text = (check.get("details") or {}).get("stderrTail")
        if check.get("id") == "client-process-finished" and text:
            return [line for line in text.splitlines() if line.strip()][-lines:]
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True)
    parser.add_argument("--expected", required=True, type=Path)
    parser.add_argument("--reports", required=True, type=Path)
    parser.add_argument("--scenarios", type=Path, help="the scenarios run, one a line")
    parser.add_argument("--table", type=Path)
    args = parser.parse_args()

    expected = json.loads(args.expected.read_text())
    exceptions = expected.get("scenarios", {})
    reports = {}
    for path in sorted(args.reports.glob("*.json")):
        try:
            report = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(report, dict) and report.get("scenario"):
            reports[report["scenario"]] = report
    if args.scenarios:
        names = [line.strip() for line in args.scenarios.read_text().splitlines() if line.strip()]
    else:
        names = sorted(reports)

    passed = failed = known = 0
    rows = []
    for stale in sorted(set(exceptions) - set(names)):
        print(f"FAIL {args.client}/{stale}: expected.json lists a scenario that was not run")
        failed += 1
    for name in names:
        entry = exceptions.get(name, {})
        want = sorted(entry.get("fail", []))
        report = reports.get(name)
        if report is None:
            print(f"FAIL {args.client}/{name}: no report (the harness did not judge it)")
            failed += 1
            rows.append({"scenario": name, "verdict": "FAIL", "failing": [], "reason": "no report"})
            continue
        got, outcome, process = observed(report)
        got_sorted = sorted(got)
        if entry.get("known_failure"):
            note = "" if got_sorted != want else " [the judge now agrees with the spec verdict: drop this entry]"
            print(f"KNOWN {args.client}/{name}: {entry['known_failure']} (got: {', '.join(got) or 'none'}; {outcome}){note}")
            known += 1
            rows.append({"scenario": name, "verdict": "KNOWN", "failing": got, "reason": entry["known_failure"]})
        elif got_sorted == want:
            print(f"PASS {args.client}/{name}")
            passed += 1
            rows.append({"scenario": name, "verdict": "PASS" if not want else "PASS (expected failure)",
                         "failing": got, "warnings": warned(report), "reason": entry.get("why", "")})
        else:
            missing = [c for c in want if c not in got]
            extra = [c for c in got if c not in want]
            detail = f"expected failing {', '.join(want) or 'none'} vs got {', '.join(got) or 'none'}"
            if missing:
                detail += f"; did not fail: {', '.join(missing)}"
            if extra:
                detail += f"; failed: {', '.join(extra)}"
            print(f"FAIL {args.client}/{name}: {detail} ({outcome}; client {process})")
            for line in stderr_tail(report):
                print(f"    client stderr: {line}")
            failed += 1
            rows.append({"scenario": name, "verdict": "FAIL", "failing": got, "reason": detail})

    print(f"{args.client}: {passed} passed, {failed} failed, {known} known")
    if args.table:
        args.table.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
