#!/usr/bin/env bash
# Idle cost of `dispo watch`: 100 disposable templates (one preload each) on the simulated host; once the
# queues are full, the CPU time (user + system) the daemon uses over SECONDS (default 60) and its RSS.
# Also runs the watch-latency benchmark (rename -> start of the reconcile pass, 100 edits).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
SECONDS_IDLE="${SECONDS_IDLE:-60}"
TEMPLATES="${TEMPLATES:-100}"

# STATIC=1 links the Swift runtime and Foundation statically (needs libcurl4-openssl-dev): lower RSS.
if [ "${STATIC:-0}" = 1 ]; then
    swift build --package-path "$root" -c release --product dispo --static-swift-stdlib \
        --scratch-path "$root/.build-static" >/dev/null
    dispo="$root/.build-static/release/dispo"
else
    swift build --package-path "$root" -c release --product dispo >/dev/null
    dispo="$root/.build/release/dispo"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/dispo-idle.XXXXXX")"
chmod 755 "$work"
trap 'kill -9 ${pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -m 755 "$work/config"
{
    printf 'apiVersion: dispo/v1\nkind: Template\nname: base\nkernel: /boot/vmlinuz\n'
    for i in $(seq 1 "$TEMPLATES"); do
        printf -- '---\napiVersion: dispo/v1\nkind: DisposableTemplate\nname: dvm%d\ntemplate: base\n' "$i"
        printf 'memory: 100MiB\nmaxmem: 1GiB\npreload: { max: 1 }\n'
    done
} >"$work/config/dispo.yaml"
chmod 644 "$work/config/dispo.yaml"
host="sim:$work/host.json"
"$dispo" sim init --memory 48GiB --boot 100ms --host "$host" >/dev/null
"$dispo" watch -c "$work/config" --host "$host" --socket "$work/dispo.sock" --parallel 8 2>"$work/watch.log" &
pid=$!
for _ in $(seq 1 600); do
    ready=$("$dispo" status --json --socket "$work/dispo.sock" 2>/dev/null \
        | python3 -c 'import json,sys; print(sum(t["preload"]["ready"] for t in json.load(sys.stdin)["templates"]))' \
        2>/dev/null || echo 0)
    [ "$ready" = "$TEMPLATES" ] && break
    sleep 0.5
done
echo "== dispo watch: $TEMPLATES disposable templates, $ready preloads ready; idle for ${SECONDS_IDLE}s"
sleep 2
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu)
sleep "$SECONDS_IDLE"
after=$(cpu)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
python3 - "$before" "$after" "$ticks" "$rss" "$SECONDS_IDLE" <<'PY'
import sys
before, after, ticks, rss, seconds = map(float, sys.argv[1:])
cpu = (after - before) / ticks
print(f"idle CPU over {seconds:.0f} s: {cpu:.2f} s  (goal < 0.1 s)")
print(f"RSS: {rss / 1024:.1f} MiB  (goal < 30 MiB)")
PY
kill -TERM "$pid"
wait "$pid" && echo "SIGTERM: exit 0"
echo "== watch latency"
swift build --package-path "$root/Benchmarks" -c release --product WatchLatency >/dev/null
"$root/Benchmarks/.build/release/WatchLatency" --edits 100
