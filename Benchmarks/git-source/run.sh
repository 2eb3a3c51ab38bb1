#!/usr/bin/env bash
# The git source, measured as a user runs it: `dispo watch --git` on a simulated host following a
# repository served by `git daemon` on loopback, SSH-signed commits, interval 10 s.
#
#   push_to_reconcile  seconds from `git push` returning to the controller's "config loaded" for that
#                      commit (the pass starts right after), median of N pushes (default 20)
#   fetch_unchanged    one fetch that finds nothing new (git fetch + count-objects + rev-parse), as the
#                      source's own debug log times it, median
#   rss                VmRSS of the controller with the git source, and of one with `-c DIR` on the
#                      same config, sampled in the same run
#
# Usage: Benchmarks/git-source/run.sh [N] [INTERVAL in seconds, e.g. 10s]   (needs git, ssh-keygen, python3; builds dispo)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
INTERVAL=${2:-10s}
SECONDS_INTERVAL=${INTERVAL%s}
swift build --product dispo >/dev/null
DISPO=$PWD/.build/debug/dispo
WORK=$(mktemp -d /tmp/dispo-gitbench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com NO_COLOR=1

ssh-keygen -q -t ed25519 -N '' -C bench@example.com -f "$WORK/key"
echo "bench@example.com $(cat "$WORK/key.pub")" > "$WORK/allowed_signers"
git init -q --bare --initial-branch=main "$WORK/served/dispo.git"
git init -q --initial-branch=main "$WORK/work"
git -C "$WORK/work" remote add origin "$WORK/served/dispo.git"
SIGN=(-c gpg.format=ssh -c user.signingkey="$WORK/key" -c commit.gpgsign=true)
write_config() {  # $1: the template's revision
  cat > "$WORK/work/dispo.yaml" <<YAML
apiVersion: dispo/v1
kind: Template
name: debian-12
kernel: /boot/vmlinuz
revision: "$1"
---
apiVersion: dispo/v1
kind: DisposableTemplate
name: default-dvm
template: debian-12
preload: { max: 1 }
YAML
}
write_config 0
git -C "$WORK/work" add -A && git -C "$WORK/work" "${SIGN[@]}" commit -q -m r0 && git -C "$WORK/work" push -q origin main
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --reuseaddr --listen=127.0.0.1 --port="$PORT" --export-all \
  --base-path="$WORK/served" "$WORK/served" 2> "$WORK/git-daemon.log" &
cat > "$WORK/source.yaml" <<YAML
apiVersion: dispo/v1
kind: GitSource
name: bench
url: git://127.0.0.1:$PORT/dispo.git
ref: { branch: main }
interval: $INTERVAL
verify: { mode: ssh, allowed_signers: $WORK/allowed_signers }
state_directory: $WORK/state
YAML
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

$DISPO sim init --host "sim:$WORK/host.json" >/dev/null
$DISPO watch --git "$WORK/source.yaml" --host "sim:$WORK/host.json" --socket "$WORK/dispo.sock" \
  --log-format json --log-level debug 2> "$WORK/watch.log" &
WATCH=$!
mkdir -p "$WORK/dir" && cp "$WORK/work/dispo.yaml" "$WORK/dir/"
$DISPO sim init --host "sim:$WORK/host-dir.json" >/dev/null
$DISPO watch -c "$WORK/dir" --host "sim:$WORK/host-dir.json" --no-socket 2> "$WORK/watch-dir.log" &
PLAIN=$!
loaded_at() {  # the time of the "config loaded" line naming commit $1, in epoch seconds; empty if none yet
  python3 - "$WORK/watch.log" "$1" <<'PY'
import json, sys, datetime
for line in open(sys.argv[1]):
    try: event = json.loads(line)
    except ValueError: continue
    if event.get("message") == "config loaded" and event.get("source_revision", "").endswith(sys.argv[2]):
        print(datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()); break
PY
}
first=$(git -C "$WORK/work" rev-parse HEAD)
for _ in $(seq 300); do [ -n "$(loaded_at "$first")" ] && break; sleep 0.1; done
[ -n "$(loaded_at "$first")" ] || { echo "the controller never loaded $first" >&2; tail "$WORK/watch.log" >&2; exit 1; }

samples=()
for i in $(seq "$N"); do
  # a uniformly random moment of the fetch cycle, so the wait measured is not in step with the fetches
  sleep "$(python3 -c "import random; print(round(random.uniform(0, $SECONDS_INTERVAL), 2))")"
  write_config "$i"
  git -C "$WORK/work" add -A && git -C "$WORK/work" "${SIGN[@]}" commit -q -m "r$i"
  git -C "$WORK/work" push -q origin main
  pushed=$(date +%s.%N)
  commit=$(git -C "$WORK/work" rev-parse HEAD)
  at=""
  for _ in $(seq 1200); do at=$(loaded_at "$commit"); [ -n "$at" ] && break; sleep 0.05; done
  [ -n "$at" ] || { echo "commit $i never loaded" >&2; exit 1; }
  samples+=("$(python3 -c "print(round($at - $pushed, 3))")")
  echo "push $i: $(python3 -c "print(round($at - $pushed, 3))") s" >&2
done
sleep "$(python3 -c "print(3 * $SECONDS_INTERVAL + 1)")"   # idle: fetches that find nothing new
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
unchanged=$(python3 - "$WORK/watch.log" <<'PY'
import json, sys, statistics
values = []
for line in open(sys.argv[1]):
    try: event = json.loads(line)
    except ValueError: continue
    if event.get("message") == "config source fetched" and event.get("outcome") == "unchanged":
        values.append(float(event["ms"]))
print(f"{statistics.median(values):.1f} ms (median of {len(values)}; min {min(values):.1f}, max {max(values):.1f})" if values else "none")
PY
)
echo "push_to_reconcile (interval $INTERVAL): median $(printf '%s\n' "${samples[@]}" | sort -n | python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin]; print(f"{statistics.median(v):.2f} s (min {min(v):.2f}, max {max(v):.2f}, n={len(v)})")')"
echo "fetch_unchanged: $unchanged"
echo "rss: git source $(rss $WATCH) KiB, directory source $(rss $PLAIN) KiB (same config, same run)"
