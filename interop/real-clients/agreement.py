#!/usr/bin/env python3
"""Compares a real client's test-client reports with its profile's, scenario by scenario.

    agreement.py --profile NAME --known FILE --real DIR --emulated DIR --scenarios FILE
                 [--min-agreement PERCENT] [--unsettled FILE]
                 [--rerun-real DIR --rerun-emulated DIR]

Both sides were judged by the same judge from the same mocks, so their verdicts are read the
same way. A scenario's outcome is:

  where    client-scenario-outcome's `actual`: connects, never went to authorization, never
           redeemed a code, no successful tools/call, ... (or "made no request")
  why      the scenario's decisive client checks that failed (a wrong iss redeemed, mismatched
           metadata used, an unbounded loop, ...) and whether the client exited on its own

The two agree when both are equal. Request details (grant types registered, application_type,
the resource parameter) are not outcomes; where they differ the line says so, for the record.

--known is disagreements.json: {"scenarios": {NAME: {"cause": "...", ...}}}. Prints AGREE,
KNOWN (a listed disagreement, with its cause) or DISAGREE per scenario, then
`NAME: N of M scenarios agree (P %)`, and exits 1 when an unlisted disagreement appeared, a
listed one no longer happens (stale), or fewer than --min-agreement percent agree.

Real clients run under load are not always deterministic. --unsettled FILE writes the names of
the scenarios whose result contradicts disagreements.json (a new disagreement, or a stale one),
so that the caller can run them once more on both sides; called again with --rerun-real and
--rerun-emulated, a scenario whose rerun matches the record is printed as UNSTABLE with both
runs' outcomes (it counts by its rerun, and does not fail the run), and one whose rerun
contradicts the record again fails as before.
Python 3 standard library only.
"""

import argparse
import json
import sys
from pathlib import Path

# The checks whose failure says why a client stopped or went on where it should not have.
DECISIVE = {
    "client-iss-refused",
    "client-metadata-mismatch-refused",
    "client-no-refresh-after-invalid-grant",
    "client-reauthorization-bounded",
    "client-reregisters-after-as-change",
    "client-refresh-single-flight",
    "client-state-round-trip",
    "client-pkce-s256",
}


def reports_in(directory):
    reports = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            report = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(report, dict) and report.get("scenario"):
            reports[report["scenario"]] = report
    return reports


def outcome(report):
    """(where, why, details) of one report."""
    where = "no verdict"
    failing = set()
    statuses = {}
    for check in report.get("checks") or []:
        status = check.get("status")
        statuses[check["id"]] = status
        if check["id"] == "client-scenario-outcome":
            if status == "SKIPPED":
                where = "made no request"
            else:
                where = ((check.get("details") or {}).get("actual")) or status
        elif status == "FAILURE" and check["id"] in DECISIVE:
            failing.add(check["id"])
    exited = "exited"
    for expectation in report.get("expectations") or []:
        if expectation.get("description") == "client process" and not expectation.get("met", True):
            exited = "did not exit"
    return where, tuple(sorted(failing)) + (exited,), statuses


def describe(side):
    where, why, _ = side
    failing = [c for c in why if c.startswith("client-")]
    return f"{where}; {why[-1]}" + (f"; failed {', '.join(failing)}" if failing else "")


def request_differences(real, emulated):
    names = sorted(set(real) | set(emulated))
    return [
        f"{name} {real.get(name, 'absent')} vs {emulated.get(name, 'absent')}"
        for name in names
        if name.startswith("client-") and name not in DECISIVE and name != "client-scenario-outcome"
        and (real.get(name) == "FAILURE") != (emulated.get(name) == "FAILURE")
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", required=True)
    parser.add_argument("--known", required=True, type=Path)
    parser.add_argument("--real", required=True, type=Path)
    parser.add_argument("--emulated", required=True, type=Path)
    parser.add_argument("--scenarios", required=True, type=Path)
    parser.add_argument("--min-agreement", type=float, default=95.0)
    parser.add_argument("--unsettled", type=Path)
    parser.add_argument("--rerun-real", type=Path)
    parser.add_argument("--rerun-emulated", type=Path)
    args = parser.parse_args()

    known = json.loads(args.known.read_text()).get("scenarios", {}) if args.known.exists() else {}
    real_reports = reports_in(args.real)
    emulated_reports = reports_in(args.emulated)
    rerun_real = reports_in(args.rerun_real) if args.rerun_real else {}
    rerun_emulated = reports_in(args.rerun_emulated) if args.rerun_emulated else {}
    unsettled = []
    names = [line.strip() for line in args.scenarios.read_text().splitlines() if line.strip()]

    agree = compared = unstable_count = 0
    problems = 0
    for stale in sorted(set(known) - set(names)):
        print(f"DISAGREE {args.profile}/{stale}: disagreements.json lists a scenario that was not run")
        problems += 1
    for name in names:
        real, emulated = real_reports.get(name), emulated_reports.get(name)
        rerun = name in rerun_real and name in rerun_emulated
        first = None
        if real is None or emulated is None:
            missing = "the real client's" if real is None else "the profile's"
            if not rerun:
                print(f"DISAGREE {args.profile}/{name}: no report for {missing} run")
                problems += 1
                unsettled.append(name)
                continue
            first = f"first run: no report for {missing} run"
            real, emulated = rerun_real[name], rerun_emulated[name]
            rerun = False
        compared += 1
        a, b = outcome(real), outcome(emulated)
        if rerun and (a[:2] == b[:2]) == (name in known):
            first = f"first run: real client: {describe(a)}; profile: {describe(b)}"
            a, b = outcome(rerun_real[name]), outcome(rerun_emulated[name])
        unstable = bool(first) and (a[:2] == b[:2]) != (name in known)
        if unstable:
            unstable_count += 1
            print(f"UNSTABLE {args.profile}/{name}: rerun: real client: {describe(a)}; profile: {describe(b)}; {first}")
        details = request_differences(a[2], b[2])
        note = f" (requests differ: {'; '.join(details)})" if details else ""
        again = f" (also on the rerun; {first})" if first else ""
        if a[:2] == b[:2]:
            agree += 1
            if name in known:
                print(f"DISAGREE {args.profile}/{name}: listed in disagreements.json but now agrees ({describe(a)}): drop the entry{again}")
                problems += 1
                unsettled.append(name)
            elif not unstable:
                print(f"AGREE {args.profile}/{name}: {describe(a)}{note}")
        elif name in known:
            if not unstable:
                print(f"KNOWN {args.profile}/{name}: real client: {describe(a)}; profile: {describe(b)}; cause: {known[name].get('cause', '?')}")
        else:
            print(f"DISAGREE {args.profile}/{name}: real client: {describe(a)}; profile: {describe(b)}{note}{again}")
            problems += 1
            unsettled.append(name)
    percent = 100.0 * agree / compared if compared else 0.0
    flaky = f"; {unstable_count} settled on a rerun (UNSTABLE above)" if unstable_count else ""
    print(f"{args.profile}: {agree} of {compared} scenarios agree ({percent:.1f} %){flaky}")
    if percent < args.min_agreement:
        print(f"DISAGREE {args.profile}: {percent:.1f} % agree, below the {args.min_agreement:g} % required")
        problems += 1
    if args.unsettled:
        args.unsettled.write_text("".join(f"{name}\n" for name in unsettled))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
