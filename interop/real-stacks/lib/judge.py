"""Compares a `check` JSON report with a case's `expect` (see ../README.md).

judge(case, report, exit_status) returns the differences, one string per field, empty when
the report is as expected.
"""

import json


def _show(value):
    return json.dumps(value) if not isinstance(value, str) else value


def _diagnosis_note(verdict):
    diagnosis = verdict.get("diagnosis") or {}
    message = diagnosis.get("message")
    if not message:
        return ""
    if len(message) > 240:
        message = message[:240] + "…"
    return f' (diagnosis {diagnosis.get("code")}: "{message}")'


def codes_in(report):
    """Every diagnosis code the report states: verdict blockers, caveats and diagnoses, the
    outcome's diagnosis and the top fix."""
    found = set()
    verdict = report.get("verdict") or {}
    for profile in verdict.get("profiles") or []:
        for issue in (profile.get("blockers") or []) + (profile.get("caveats") or []):
            if issue.get("code"):
                found.add(issue["code"])
        if (profile.get("diagnosis") or {}).get("code"):
            found.add(profile["diagnosis"]["code"])
    outcome = (report.get("outcome") or {}).get("diagnosis") or {}
    if outcome.get("code"):
        found.add(outcome["code"])
    if (verdict.get("topFix") or {}).get("code"):
        found.add(verdict["topFix"]["code"])
    return found


def judge(case, report, exit_status):
    expect = case["expect"]
    diffs = []
    if "exit" in expect and expect["exit"] != exit_status:
        diffs.append(f"exit: expected {expect['exit']}, got {exit_status}")
    verdicts = {p.get("profile"): p for p in (report.get("verdict") or {}).get("profiles") or []}
    for name, wanted in (expect.get("profiles") or {}).items():
        got = verdicts.get(name)
        if got is None:
            diffs.append(f"{name}: expected in the verdict, absent (profiles: {', '.join(verdicts) or 'none'})")
            continue
        note = ""
        mark = len(diffs)
        for field in ("connects", "verified"):
            if field in wanted and wanted[field] != got.get(field):
                diffs.append(f"{name}.{field}: expected {_show(wanted[field])}, got {_show(got.get(field))}{note}")
        if "diagnosis" in wanted:
            blockers = got.get("blockers") or []
            if wanted["diagnosis"] is None:
                if blockers:
                    codes = ", ".join(b.get("code", "?") for b in blockers)
                    diffs.append(f"{name}.diagnosis: expected no blocker, got {codes}{note}")
            else:
                code = (got.get("diagnosis") or {}).get("code") or (blockers[0].get("code") if blockers else None)
                if code != wanted["diagnosis"]:
                    diffs.append(f"{name}.diagnosis: expected {wanted['diagnosis']}, got {_show(code)}{note}")
        for field in ("party", "confirmedBy"):
            if field in wanted:
                value = (got.get("diagnosis") or {}).get(field)
                if value != wanted[field]:
                    diffs.append(f"{name}.diagnosis.{field}: expected {_show(wanted[field])}, got {_show(value)}{note}")
        if len(diffs) > mark:
            diffs[-1] += _diagnosis_note(got)
    present = codes_in(report)
    for code in expect.get("absent") or []:
        if code in present:
            where = [p for p, v in verdicts.items() if code in {i.get("code") for i in (v.get("blockers") or []) + (v.get("caveats") or []) + [v.get("diagnosis") or {}]}]
            diffs.append(f"absent: {code} must not appear, but it does ({', '.join(where) or 'outcome/top fix'})")
    return diffs
