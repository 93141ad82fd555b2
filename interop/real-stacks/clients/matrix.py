#!/usr/bin/env python3
"""Writes the client × scenario matrix of docs/interop.md from a clients run's results.

    matrix.py RESULTS_DIR [DOC]

RESULTS_DIR is where `run.sh` left `<client>.table.jsonl` (by default
target/real-stacks/clients/results). With DOC, the table between the markers
`<!-- clients-matrix -->` and `<!-- /clients-matrix -->` in DOC is replaced; without, the
table is printed. Python 3 standard library only.
"""

import json
import sys
from pathlib import Path

CLIENTS = ["ts-sdk", "mcp-use", "rmcp"]
START, END = "<!-- clients-matrix -->", "<!-- /clients-matrix -->"


def cell(row):
    if row is None:
        return "not run"
    failing = ", ".join(f"`{c}`" for c in row["failing"])
    # PASS: as the spec says; "(expected failure)": the client FAILs the checks the spec calls
    # for, and only those.
    if row["verdict"].startswith("PASS"):
        # A WARNING is a SHOULD the client missed (a step-up, a fallback): shown, never hidden
        # behind the tick.
        warnings = ", ".join(f"`{c}`" for c in row.get("warnings", []))
        warned = f"; WARNING: {warnings}" if warnings else ""
        return ("✓" if not failing else f"FAILs as the spec says: {failing}") + warned
    if row["verdict"] == "KNOWN":
        reason = row["reason"].split(":")[0]
        return f"known ({reason})" + (f": {failing}" if failing else "")
    return f"**{row['verdict']}**" + (f": {failing}" if failing else "")


def table(results):
    rows = {}
    for client in CLIENTS:
        path = results / f"{client}.table.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            row = json.loads(line)
            rows.setdefault(row["scenario"], {})[client] = row
    lines = ["| Scenario | " + " | ".join(CLIENTS) + " |", "|---" * (len(CLIENTS) + 1) + "|"]
    for scenario in sorted(rows):
        cells = [cell(rows[scenario].get(client)) for client in CLIENTS]
        lines.append(f"| `{scenario}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    rendered = table(Path(sys.argv[1]))
    if len(sys.argv) == 2:
        print(rendered)
        return
    doc = Path(sys.argv[2])
    text = doc.read_text()
    if START not in text or END not in text:
        sys.exit(f"{doc}: no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{rendered}\n{END}{tail}")


if __name__ == "__main__":
    main()
