#!/usr/bin/env python3
"""Runs the real-stacks cases: starts each stack mode, runs its cases, judges the reports.

Called by run.sh once the stacks are installed; python3 standard library only.

    runner.py --root DIR --cache DIR --binary PATH --stacks NAME[,NAME...] [--only NAME]
              [--skip NAME=REASON ...] [--fail NAME=REASON ...]

Prints one line per case (PASS / FAIL / KNOWN / SKIP), then a summary line and, last,
`N passed, N failed`. Exits 1 when any case failed.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge import judge  # noqa: E402

READY_TIMEOUT = float(os.environ.get("REAL_STACKS_READY_TIMEOUT", "60"))
CASE_TIMEOUT = float(os.environ.get("REAL_STACKS_CASE_TIMEOUT", "300"))


def load_cases(stack_dir):
    path = stack_dir / "cases.json"
    cases = json.loads(path.read_text())
    if not isinstance(cases, list):
        raise ValueError(f"{path}: expected a list of cases")
    for case in cases:
        for field in ("name", "mode", "args", "expect", "why"):
            if field not in case:
                raise ValueError(f"{path}: case {case.get('name', '?')} has no `{field}`")
    return cases


def tail(path, lines=20):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    | " + line for line in text[-lines:])


class Stack:
    """One running `start MODE` process."""

    def __init__(self, stack_dir, mode, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(stack_dir / "start"), mode],
            cwd=stack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,
        )
        self.url = None
        self.extra_stdout = []

    def wait_ready(self, timeout):
        found = threading.Event()

        def read():
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                if self.url is None and line.startswith("READY "):
                    self.url = line[len("READY "):].strip()
                    found.set()
                else:
                    self.extra_stdout.append(line)
            found.set()

        threading.Thread(target=read, daemon=True).start()
        found.wait(timeout)
        return self.url

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.log.close()


def find_report(out_dir):
    candidates = [p for p in sorted(out_dir.glob("*.json")) if p.name != "summary.json"]
    for path in candidates:
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and "verdict" in report:
            return path, report
    if candidates:
        path = candidates[0]
        try:
            return path, json.loads(path.read_text())
        except (OSError, ValueError):
            return path, None
    return None, None


def run_case(case, url, binary, cache):
    out_dir = cache / "out" / case["name"]
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    args = [str(a).replace("{url}", url).replace("{out}", str(out_dir)) for a in case["args"]]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [binary, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CASE_TIMEOUT,
        )
        status = proc.returncode
        stdout, stderr = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as timeout:
        status, stdout, stderr = None, timeout.stdout or b"", timeout.stderr or b""
    (out_dir / "stdout.txt").write_bytes(stdout or b"")
    (out_dir / "stderr.txt").write_bytes(stderr or b"")
    elapsed = time.monotonic() - started
    if status is None:
        return [f"the command did not finish within {CASE_TIMEOUT:.0f} s (output in {out_dir})"], elapsed
    _, report = find_report(out_dir)
    if report is None:
        err = (stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
        return [f"no JSON report in {out_dir} (exit {status}; stderr: {' / '.join(err)})"], elapsed
    return judge(case, report, status), elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--stacks", required=True)
    parser.add_argument("--only")
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--fail", action="append", default=[])
    parser.add_argument("--node-bin")
    args = parser.parse_args()

    root = Path(args.root)
    cache = Path(args.cache)
    stacks_root = root / "interop" / "real-stacks" / "stacks"
    skipped = dict(item.split("=", 1) for item in args.skip)
    failed_install = dict(item.split("=", 1) for item in args.fail)
    (cache / "logs").mkdir(parents=True, exist_ok=True)

    counts = {"PASS": 0, "FAIL": 0, "KNOWN": 0, "SKIP": 0}

    def emit(kind, name, text=""):
        counts[kind] += 1
        print(f"{kind} {name}" + (f": {text}" if text else ""), flush=True)

    for stack in [s for s in args.stacks.split(",") if s]:
        stack_dir = stacks_root / stack
        try:
            cases = load_cases(stack_dir)
        except (OSError, ValueError) as error:
            emit("FAIL", stack, f"cannot read its cases: {error}")
            continue
        if args.only and args.only != stack:
            cases = [c for c in cases if c["name"] == args.only]
        if not cases:
            continue
        if stack in failed_install:
            for case in cases:
                emit("FAIL", case["name"], f"stack {stack} could not be installed: {failed_install[stack]}")
            continue
        if stack in skipped:
            for case in cases:
                emit("SKIP", case["name"], f"stack {stack} could not be installed: {skipped[stack]}")
            continue

        env = dict(os.environ)
        env["STACK_CACHE"] = str(cache / "stacks" / stack)
        venv = cache / "stacks" / stack / "venv"
        path = env.get("PATH", "")
        if (stack_dir / "requirements.txt").exists():
            env["VIRTUAL_ENV"] = str(venv)
            path = f"{venv / 'bin'}:{path}"
        if args.node_bin:
            path = f"{args.node_bin}:{path}"
        env["PATH"] = path

        modes = []
        for case in cases:
            if case["mode"] not in modes:
                modes.append(case["mode"])
        for mode in modes:
            log_path = cache / "logs" / f"{stack}-{mode}.log"
            stack_proc = Stack(stack_dir, mode, env, log_path)
            try:
                url = stack_proc.wait_ready(READY_TIMEOUT)
                mode_cases = [c for c in cases if c["mode"] == mode]
                if not url:
                    reason = "exited" if stack_proc.proc.poll() is not None else f"printed no READY line within {READY_TIMEOUT:.0f} s"
                    for case in mode_cases:
                        emit("FAIL", case["name"], f"stack {stack} {mode} {reason}; its stderr ends with:\n{tail(log_path)}")
                    continue
                for case in mode_cases:
                    diffs, elapsed = run_case(case, url, args.binary, cache)
                    known = case.get("known_failure")
                    if diffs and known:
                        differs = "; ".join(diffs)
                        if len(differs) > 600:
                            differs = differs[:600] + "…"
                        emit("KNOWN", case["name"], f"{known} [differs: {differs}]")
                    elif diffs:
                        emit("FAIL", case["name"], "; ".join(diffs))
                    elif known:
                        emit("FAIL", case["name"], f"stale known failure (it passes now): {known}")
                    else:
                        emit("PASS", case["name"], f"{elapsed:.0f} s")
            finally:
                stack_proc.stop()

    print(f"({counts['KNOWN']} known failures, {counts['SKIP']} skipped)", flush=True)
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed", flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
