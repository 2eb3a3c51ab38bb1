#!/usr/bin/env bash
# Measures dispo against the real qubesd of Tests/qubesd (make bench-qubes):
#  - Admin API calls and wall time of `dispo apply` of examples/qubes on a qubesd with only the TemplateVMs;
#  - the same for a `dispo diff` with nothing to do (median of 5);
#  - a hand-out: `dispo request` (its own `seconds`, and the whole process) vs a direct admin.vm.CreateDisposable
#    over the socket (Python, one call), each taking a ready preload of default-dvm (median of N, default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
samples=${1:-5}
dispo=${DISPO_BINARY:-.build/debug/dispo}
work=$(mktemp -d)
chmod 755 "$work"
cleanup() { python3 Tests/qubesd/harness.py stop "$work/qubesd"; rm -rf "$work"; }
trap cleanup EXIT
sock=$(python3 Tests/qubesd/harness.py start "$work/qubesd")
mkdir -m 755 "$work/config"
cp examples/qubes/*.yaml "$work/config/"
chmod 644 "$work/config/"*.yaml
export DISPO_QUBES_CALLS=1 NO_COLOR=1
host="qubes:$sock"

now() { date +%s.%N; }
calls() { grep -o '[0-9]* Admin API calls.*' "$1" | tail -1; }

start=$(now)
"$dispo" apply -c "$work/config" --host "$host" >"$work/apply.out" 2>"$work/apply.err"
end=$(now)
echo "apply from nothing: $(echo "$end - $start" | bc) s wall, $(calls "$work/apply.err")"
echo "  $(tail -1 "$work/apply.out")"

times=()
for _ in 1 2 3 4 5; do
  start=$(now)
  status=0
  "$dispo" diff -c "$work/config" --host "$host" >"$work/diff.out" 2>"$work/diff.err" || status=$?
  end=$(now)
  [ "$status" = 0 ] || { echo "diff not in sync (status $status)"; cat "$work/diff.out"; exit 1; }
  times+=("$(echo "$end - $start" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "no-op diff: median $(median "${times[@]}") s wall (of 5), $(calls "$work/diff.err")"

ready() {  # waits until default-dvm has 2 ready preloads
  for _ in $(seq 1 120); do
    n=$("$dispo" status -c "$work/config" --host "$host" --json 2>/dev/null \
      | python3 -c 'import json,sys; r=json.load(sys.stdin); print([t for t in r["templates"] if t["name"]=="default-dvm"][0]["preload"]["ready"])')
    [ "$n" = 2 ] && return 0
    sleep 0.5
  done
  echo "default-dvm never had 2 ready preloads"; exit 1
}

own=(); wall=(); direct=()
for _ in $(seq 1 "$samples"); do
  ready
  start=$(now)
  "$dispo" request default-dvm -c "$work/config" --host "$host" --json >"$work/request.json" 2>"$work/request.err"
  end=$(now)
  wall+=("$(echo "$end - $start" | bc)")
  own+=("$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["preloaded"], r; print(r["seconds"])' "$work/request.json")")
  ready
  direct+=("$(python3 - "$sock" <<'EOF'
import sys, time
sys.path.insert(0, "Tests/qubesd")
import harness
start = time.monotonic()
harness.call(sys.argv[1], "admin.vm.CreateDisposable", "default-dvm")
print(time.monotonic() - start)
EOF
)")
done
echo "hand-out of a preload (median of $samples): dispo request $(median "${own[@]}") s in-process" \
  "($(median "${wall[@]}") s for the whole process, $(calls "$work/request.err"));" \
  "direct CreateDisposable $(median "${direct[@]}") s"
