#!/usr/bin/env bash
# Judges real MCP clients with `mcp-oauth-harness test-client` over every catalog scenario
# that has a [conformant-client] section, and compares each verdict with the client's
# expected.json (the spec verdict, with its listed exceptions).
#
#   interop/real-stacks/clients/run.sh [--only CLIENT[,CLIENT...]] [--binary PATH]
#                                      [--rmcp-client PATH] [-j N] [--timeout SECS]
#
# Clients: ts-sdk (@modelcontextprotocol/client), mcp-use (PyPI mcp-use), rmcp (the official
# Rust SDK's OAuth client, interop/rmcp-client). Installs go to
# ${REAL_STACKS_CACHE:-<repo>/target/real-stacks}/clients. A client that cannot be installed
# fails the run with CI=true and is skipped otherwise. Prints PASS / FAIL / KNOWN per client
# and scenario, the run time per client, and last `N passed, N failed`; exits 1 on any FAIL.
# A scenario that fails is run once more, alone; one that passes then is printed as UNSTABLE.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cache="${REAL_STACKS_CACHE:-$repo/target/real-stacks}/clients"
all_clients="ts-sdk mcp-use rmcp"
only=""
binary=""
rmcp_client=""
jobs=2
timeout=30

while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="${2:?--only needs a client}"; shift 2 ;;
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --rmcp-client) rmcp_client="${2:?--rmcp-client needs a path}"; shift 2 ;;
    -j) jobs="${2:?-j needs a number}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

first_existing() {
  for candidate in "$@"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  echo "$1"
}
binary="${binary:-$(first_existing "$repo/target/release/mcp-oauth-harness" "$repo/target/debug/mcp-oauth-harness")}"
rmcp_client="${rmcp_client:-$(first_existing "$repo/target/release/rmcp-oauth-client" "$repo/target/debug/rmcp-oauth-client")}"

clients="$all_clients"
if [ -n "$only" ]; then
  clients="${only//,/ }"
  for client in $clients; do
    case " $all_clients " in *" $client "*) ;; *) echo "run.sh: unknown client $client (known: $all_clients)" >&2; exit 2 ;; esac
  done
fi
if [ ! -x "$binary" ]; then
  echo "run.sh: no harness binary at $binary (build it, or pass --binary PATH)" >&2
  exit 2
fi

started=$(date +%s)
mkdir -p "$cache"
out="$cache/results"
mkdir -p "$out"

# The scenarios test-client judges: those with a [conformant-client] section.
scenarios="$out/scenarios.txt"
grep -l '^\[conformant-client\]' "$repo"/scenarios/*.toml | xargs -n1 basename | sed 's/\.toml$//' | sort > "$scenarios"

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# Each install_* prints the command that runs the client (the MCP URL is appended), or fails.
install_ts_sdk() {
  local dir="$cache/ts-sdk" stamp
  command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed" >&2; return 1; }
  stamp=$(stamp_of "$here/ts-sdk/package.json" "$here/ts-sdk/package-lock.json")
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$here/ts-sdk/package.json" "$here/ts-sdk/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 || return 1
    echo "$stamp" > "$dir/.stamp"
  fi
  cp "$here/ts-sdk/driver.mjs" "$dir/driver.mjs"
  echo "node $dir/driver.mjs"
}

install_mcp_use() {
  local dir="$cache/mcp-use" stamp
  command -v python3 >/dev/null || { echo "python3 is needed" >&2; return 1; }
  stamp=$(stamp_of "$here/mcp-use/requirements.txt")
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m venv "$dir/venv" >&2 || return 1
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/mcp-use/requirements.txt" >&2 || return 1
    echo "$stamp" > "$dir/.stamp"
  fi
  echo "$dir/venv/bin/python $here/mcp-use/driver.py"
}

install_rmcp() {
  [ -x "$rmcp_client" ] || { echo "no rmcp-oauth-client at $rmcp_client (cargo build -p rmcp-oauth-client, or pass --rmcp-client PATH)" >&2; return 1; }
  echo "$here/rmcp/driver.sh $rmcp_client"
}

total_passed=0
total_failed=0
summary=()
for client in $clients; do
  client_started=$(date +%s)
  if ! command=$("install_${client//-/_}" 2> "$out/$client.install.log"); then
    reason="$(tail -n 3 "$out/$client.install.log" | tr '\n' ' ')"
    if [ "${CI:-}" = "true" ]; then
      echo "FAIL $client: cannot be installed: $reason"
      total_failed=$((total_failed + 1))
    else
      echo "SKIP $client: cannot be installed: $reason"
    fi
    continue
  fi
  reports="$out/$client"
  rm -rf "$reports" "$out/$client".*
  mkdir -p "$reports"
  # shellcheck disable=SC2046
  "$binary" test-client --command "$command" --format json --out "$reports" -j "$jobs" \
    --timeout "$timeout" $(cat "$scenarios") > "$out/$client.stdout.json" 2> "$out/$client.stderr.log"
  status=$?
  if [ $status -gt 1 ]; then
    echo "FAIL $client: test-client exited with $status: $(tail -n 3 "$out/$client.stderr.log" | tr '\n' ' ')"
    total_failed=$((total_failed + 1))
    continue
  fi
  compare() {
    python3 "$here/compare.py" --client "$client" --expected "$here/$client/expected.json" \
      --reports "$reports" --scenarios "$scenarios" --table "$out/$client.table.jsonl" > "$out/$client.compare.txt"
  }
  compare
  # Real clients under load are not always deterministic: runs that bind the pre-registered
  # apps' callback port were seen to stop before authorization, two at a time, with the cause
  # not established (as for the inspector in interop/real-clients). A scenario that fails is
  # run once more, alone, before it counts; one that passes then is printed as UNSTABLE with
  # its first result, and one that fails again is a FAIL.
  failed_first=$(sed -nE "s#^FAIL $client/([^:]+):.*#\1#p" "$out/$client.compare.txt" | grep -Fxf "$scenarios")
  if [ -n "$failed_first" ]; then
    cp "$out/$client.compare.txt" "$out/$client.first.txt"
    # shellcheck disable=SC2086
    "$binary" test-client --command "$command" --format json --out "$reports" -j 1 \
      --timeout "$timeout" $failed_first > "$out/$client.rerun.json" 2>> "$out/$client.stderr.log"
    if [ $? -le 1 ]; then
      compare
      for name in $failed_first; do
        if ! grep -q "^FAIL $client/$name:" "$out/$client.compare.txt"; then
          echo "UNSTABLE $client/$name: passed when run again alone; first: $(sed -nE "s#^FAIL $client/$name: ##p" "$out/$client.first.txt")"
        fi
      done
    fi
  fi
  grep -v "^$client: " "$out/$client.compare.txt"
  counts=$(grep "^$client: " "$out/$client.compare.txt")
  passed=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<< "$counts")
  failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$counts")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  summary+=("$counts in $(( $(date +%s) - client_started )) s")
done

for line in "${summary[@]}"; do echo "$line"; done
echo "run time: $(( $(date +%s) - started )) s (reports in $out)"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
