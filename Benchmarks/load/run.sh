#!/usr/bin/env bash
# Load benchmark: dispo's load+validate of a generated config (10,000 objects in 100 files)
# against libyaml's raw event scan of the same files and PyYAML's CSafeLoader, all measured
# in this one run; prints the three medians and the two ratios.
#
# Environment (all optional):
#   DISPO_BENCH_CONFIG   config directory to use instead of generating one
#   DISPO_BENCH_OBJECTS  objects that directory must hold (default 10000)
#   ITERATIONS           Swift timer iterations, each of dispo and raw scan (default 20)
#   PY_RUNS              PyYAML runs (default 10)
#   ORDO=0               skip the ordo-one/benchmark suite (detailed figures, mallocs)
#   CHECK_GOALS=1        exit 1 when a goal (dispo <= 2x raw, python >= 3x dispo) is missed
#   SWIFT                the swift driver (default swift)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$(dirname "$here")"
SWIFT="${SWIFT:-swift}"
ITERATIONS="${ITERATIONS:-20}"
PY_RUNS="${PY_RUNS:-10}"
ORDO="${ORDO:-1}"
OBJECTS="${DISPO_BENCH_OBJECTS:-10000}"

if ! pkg-config --exists yaml-0.1; then
    echo "run.sh: libyaml is missing (Debian libyaml-dev): run 'make deps' first" >&2
    exit 1
fi
if ! python3 -c 'import sys, yaml; sys.exit(0 if yaml.__with_libyaml__ else 1)' 2>/dev/null; then
    echo "run.sh: installing PyYAML (with its libyaml C loader) for python3" >&2
    python3 -m pip install --quiet pyyaml
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dispo-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

config="${DISPO_BENCH_CONFIG:-}"
if [ -z "$config" ]; then
    config="$work/config"
    python3 "$here/generate.py" "$config"
fi
export DISPO_BENCH_CONFIG="$config" DISPO_BENCH_OBJECTS="$OBJECTS"

# Build quietly (the parent package's warnings are not this script's business); show the log on failure.
build() {
    if ! "$SWIFT" build --package-path "$bench" -c release "$@" >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        exit 1
    fi
}

if [ "$ORDO" != 0 ]; then
    echo "== ordo-one/benchmark suite LoadConfig (release; the first build takes a few minutes)"
    "$SWIFT" package --package-path "$bench" benchmark --target LoadConfig --no-progress \
        >"$work/ordo.log" 2>&1 || { cat "$work/ordo.log" >&2; exit 1; }
    # Keep the results table, drop the build chatter before it.
    sed -n '/^Running Benchmarks\|^=\{5,\}/,$p' "$work/ordo.log" | grep -v 'warning:' || cat "$work/ordo.log"
fi

echo "== building LoadTimer (release)"
build --product LoadTimer
bin="$("$SWIFT" build --package-path "$bench" -c release --show-bin-path)"

echo "== timing (same run): dispo and raw scan alternately, $ITERATIONS iterations; then PyYAML, $PY_RUNS runs"
"$bin/LoadTimer" --iterations "$ITERATIONS" --json "$work/swift.json"
python3 "$here/pyyaml_time.py" "$config" --runs "$PY_RUNS" --expect "$OBJECTS" --json "$work/python.json"

python3 - "$work/swift.json" "$work/python.json" "${CHECK_GOALS:-0}" <<'PY'
import json, sys
swift, python = (json.load(open(path)) for path in sys.argv[1:3])
check = sys.argv[3] == "1"
dispo, raw, py = swift["dispo_median_ms"], swift["raw_median_ms"], python["python_median_ms"]
over_raw, py_over = dispo / raw, py / dispo
goal_raw, goal_py = over_raw <= 2.0, py_over >= 3.0
print()
print(f"== summary: {swift['objects']} objects in {swift['files']} files ({swift['bytes'] / 1e6:.2f} MB), medians")
print(f"dispo load+validate      {dispo:9.2f} ms")
print(f"libyaml raw event scan   {raw:9.2f} ms")
print(f"PyYAML CSafeLoader       {py:9.2f} ms")
print(f"dispo / raw scan         {over_raw:9.2f}x   goal <= 2x: {'met' if goal_raw else 'MISSED'}")
print(f"python / dispo           {py_over:9.2f}x   goal >= 3x: {'met' if goal_py else 'MISSED'}")
sys.exit(1 if check and not (goal_raw and goal_py) else 0)
PY
