#!/usr/bin/env bash
# Measures dispo against the real qubesd of Tests/qubesd (make bench-qubes):
#  - Admin API calls and wall time of `dispo apply` of examples/qubes on a qubesd with only the TemplateVMs;
#  - the same for a `dispo diff` with nothing to do (median of 5);
#  - a hand-out: `dispo request` (its own `seconds`, and the whole process) vs a direct admin.vm.CreateDisposable
#    over the socket (Python, one call), each taking a ready preload of default-dvm (median of N, default 5);
#  - the same hand-out through the Qubes controller: `dispo watch --host qubes` serving its socket, a
#    `POST /v1/disposables` with curl --unix-socket (curl's time_total and the reply's `seconds`) and a
#    `dispo request` that goes through it (whole process), against a direct CreateDisposable in between.
set -euo pipefail
cd "$(dirname "$0")/../.."
samples=${1:-5}
dispo=${DISPO_BINARY:-.build/debug/dispo}
work=$(mktemp -d)
chmod 755 "$work"
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null
  python3 Tests/qubesd/harness.py stop "$work/qubesd"; rm -rf "$work"
}
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

# The same hand-outs through the Qubes controller's socket.
api="$work/dispo.sock"
"$dispo" watch -c "$work/config" --host "$host" --socket "$api" 2>"$work/watch.log" &
watch_pid=$!
for _ in $(seq 1 120); do
  [ -S "$api" ] && curl -sf --unix-socket "$api" http://localhost/v1/ping >/dev/null && break
  sleep 0.5
done
curl -sf --unix-socket "$api" http://localhost/v1/ping >/dev/null || { echo "the controller never answered"; cat "$work/watch.log"; exit 1; }
direct_call() {
  python3 - "$sock" <<'EOF'
import sys, time
sys.path.insert(0, "Tests/qubesd")
import harness
start = time.monotonic()
harness.call(sys.argv[1], "admin.vm.CreateDisposable", "default-dvm")
print(time.monotonic() - start)
EOF
}
post=(); posted=(); cli=(); direct2=()
for _ in $(seq 1 "$samples"); do
  ready
  reply=$(curl -s --unix-socket "$api" -X POST -H 'Content-Type: application/json' -d '{"target": "default-dvm"}' \
    -w '\n%{http_code} %{time_total}' http://localhost/v1/disposables)
  code=$(echo "$reply" | tail -1 | cut -d' ' -f1)
  [ "$code" = 201 ] || { echo "POST answered $code: $reply"; exit 1; }
  post+=("$(echo "$reply" | tail -1 | cut -d' ' -f2)")
  posted+=("$(echo "$reply" | sed '$d' | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["preloaded"], r; print(r["seconds"])')")
  ready
  start=$(now)
  "$dispo" request default-dvm --host "$host" --json >"$work/request.json" 2>"$work/request.err"
  end=$(now)
  grep -q "using the controller" "$work/request.err" || { echo "dispo request did not use the controller"; cat "$work/request.err"; exit 1; }
  cli+=("$(echo "$end - $start" | bc)")
  ready
  direct2+=("$(direct_call)")
done
echo "hand-out of a preload through the controller (median of $samples): POST /v1/disposables" \
  "$(median "${post[@]}") s (curl time_total; $(median "${posted[@]}") s inside the controller);" \
  "dispo request via the socket $(median "${cli[@]}") s for the whole process;" \
  "direct CreateDisposable $(median "${direct2[@]}") s"
kill -TERM "$watch_pid"
status=0; wait "$watch_pid" || status=$?
watch_pid=
[ "$status" = 0 ] || { echo "dispo watch exited $status"; tail "$work/watch.log"; exit 1; }
[ ! -e "$api" ] || { echo "dispo watch left its socket behind"; exit 1; }
echo "  controller: $(grep -o 'controller stopped.*' "$work/watch.log" | tail -1); exit 0 on SIGTERM, socket removed"
