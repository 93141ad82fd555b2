#!/usr/bin/env bash
# Differential proof of the client profiles: for every catalog scenario with a
# [conformant-client] section, the real client runs under `test-client`, and so does the
# harness's own client under that client's profile (`mcp-oauth-harness connect --profile P`);
# both are judged by the same judge from the same mocks' request log, and their outcomes must
# agree: both connect, or both stop at the same step for the same reason.
#
#   interop/real-clients/run.sh [--only PROFILE[,PROFILE...]] [--binary PATH] [-j N]
#                               [--timeout SECS] [--min-agreement PERCENT]
#
# Profiles (one directory each, named as the profile): see PROFILES below. Each directory has
# `install CACHE_DIR` (prints the command that runs the real client; the MCP URL is appended)
# and `disagreements.json` (every scenario where the profile is known to differ from the real
# client, with its cause). Installs and reports go to
# ${REAL_STACKS_CACHE:-<repo>/target/real-stacks}/real-clients. Prints AGREE / DISAGREE /
# KNOWN per profile and scenario, `PROFILE: N of M scenarios agree` per profile, and last
# `N passed, N failed`. A profile fails when an unlisted disagreement appears, a listed one
# no longer happens (stale), or fewer than --min-agreement percent (default 95) agree. A
# client that cannot be installed fails the run with CI=true and is skipped otherwise. A
# scenario whose result contradicts disagreements.json is run once more on both sides before it
# counts; one that settles on the rerun is printed as UNSTABLE.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${REAL_STACKS_CACHE:-$repo/target/real-stacks}/real-clients"
PROFILES="ts-sdk-2.4 mcp-remote-0.15 python-sdk-2.3 ai-sdk-mcp-2.0 inspector-2.12"
only=""
binary=""
jobs=2
timeout=30
min_agreement=95

while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="${2:?--only needs a profile}"; shift 2 ;;
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    -j) jobs="${2:?-j needs a number}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
    --min-agreement) min_agreement="${2:?--min-agreement needs a percentage}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "$binary" ]; then
  for candidate in "$repo/target/release/mcp-oauth-harness" "$repo/target/debug/mcp-oauth-harness"; do
    if [ -x "$candidate" ]; then binary="$candidate"; break; fi
  done
fi
if [ ! -x "${binary:-}" ]; then
  echo "run.sh: no harness binary (build it, or pass --binary PATH)" >&2
  exit 2
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

profiles="$PROFILES"
if [ -n "$only" ]; then
  profiles="${only//,/ }"
  for profile in $profiles; do
    case " $PROFILES " in *" $profile "*) ;; *) echo "run.sh: unknown profile $profile (known: $PROFILES)" >&2; exit 2 ;; esac
  done
fi

started=$(date +%s)
out="$cache/results"
mkdir -p "$out"
scenarios="$out/scenarios.txt"
grep -l '^\[conformant-client\]' "$repo"/scenarios/*.toml | xargs -n1 basename | sed 's/\.toml$//' | sort > "$scenarios"

# Runs the scenarios listed in $2 under the real client and under the profile, reports in $1.
run_both() {
  local dir="$1" list="$2"
  # shellcheck disable=SC2046
  "$binary" test-client --command "$command" --format json --out "$dir/real" \
    -j "$real_jobs" --timeout "$timeout" $(cat "$list") > /dev/null 2> "$dir/real.stderr.log"
  [ $? -gt 1 ] && failed_to_run="the real client's run: $(tail -n 2 "$dir/real.stderr.log" | tr '\n' ' ')"
  # shellcheck disable=SC2046
  "$binary" test-client --command "$binary connect --profile $profile" --format json \
    --out "$dir/profile" -j "$jobs" --timeout "$timeout" $(cat "$list") \
    > /dev/null 2> "$dir/profile.stderr.log"
  [ $? -gt 1 ] && failed_to_run="${failed_to_run:+$failed_to_run; }the profile's run: $(tail -n 2 "$dir/profile.stderr.log" | tr '\n' ' ')"
}

total_passed=0
total_failed=0
summary=()
for profile in $profiles; do
  profile_started=$(date +%s)
  if ! command=$("$here/$profile/install" "$cache/$profile" 2> "$out/$profile.install.log"); then
    reason="$(tail -n 3 "$out/$profile.install.log" | tr '\n' ' ')"
    if [ "${CI:-}" = "true" ]; then
      echo "FAIL $profile: the real client cannot be installed: $reason"
      total_failed=$((total_failed + 1))
    else
      echo "SKIP $profile: the real client cannot be installed: $reason"
    fi
    continue
  fi
  rm -rf "$out/$profile"
  mkdir -p "$out/$profile/real" "$out/$profile/profile"
  failed_to_run=""
  real_jobs=$jobs
  case "$profile" in
    # One process per CLI operation, each binding the pre-registered apps' callback port in
    # turn: at 2 at once, runs under load were seen to stop before authorization (cause not
    # established), so this client's scenarios run one at a time.
    inspector-2.12) real_jobs=1 ;;
  esac
  run_both "$out/$profile" "$scenarios"
  if [ -n "$failed_to_run" ]; then
    echo "FAIL $profile: test-client did not finish: $failed_to_run"
    total_failed=$((total_failed + 1))
    continue
  fi
  python3 "$here/agreement.py" --profile "$profile" --known "$here/$profile/disagreements.json" \
    --real "$out/$profile/real" --emulated "$out/$profile/profile" --scenarios "$scenarios" \
    --min-agreement "$min_agreement" --unsettled "$out/$profile/unsettled.txt" > /dev/null
  rerun=()
  if [ -s "$out/$profile/unsettled.txt" ]; then
    # Real clients under load are not always deterministic: a result that contradicts the
    # record is run once more on both sides before it counts (agreement.py prints UNSTABLE).
    mkdir -p "$out/$profile/rerun/real" "$out/$profile/rerun/profile"
    run_both "$out/$profile/rerun" "$out/$profile/unsettled.txt"
    rerun=(--rerun-real "$out/$profile/rerun/real" --rerun-emulated "$out/$profile/rerun/profile")
  fi
  python3 "$here/agreement.py" --profile "$profile" --known "$here/$profile/disagreements.json" \
    --real "$out/$profile/real" --emulated "$out/$profile/profile" --scenarios "$scenarios" \
    --min-agreement "$min_agreement" "${rerun[@]}" > "$out/$profile.agreement.txt"
  status=$?
  grep -v "^$profile: " "$out/$profile.agreement.txt"
  line=$(grep "^$profile: " "$out/$profile.agreement.txt")
  summary+=("$line (${jobs} at once, $(( $(date +%s) - profile_started )) s)")
  if [ $status -eq 0 ]; then total_passed=$((total_passed + 1)); else total_failed=$((total_failed + 1)); fi
done

for line in "${summary[@]}"; do echo "$line"; done
echo "run time: $(( $(date +%s) - started )) s (reports in $out)"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
