#!/usr/bin/env bash
# The host lock and the event stream on the simulated host, as a user meets them:
#   - a second `dispo watch` on a held host: wall time from start to its refusal (exit 1);
#   - a new `dispo watch` after `kill -9` of the old one: wall time until its API answers;
#   - GET /v1/events: from an event's stamp (`at`, taken when the controller records it) to the moment a
#     streaming client has parsed it, over N hand-outs and releases (p50, p99).
# Usage: Benchmarks/ownership/run.sh [ROUNDS]  (default 200 hand-outs). Needs python3; builds dispo (debug).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-200}
swift build --product dispo > /dev/null
dispo=$PWD/.build/debug/dispo
work=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null || true; rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/config"
sed 's/max: 2 /max: 4 /; s/delay: 3s/delay: 0s/' examples/quickstart/dispo.yaml > "$work/config/dispo.yaml"
chmod -R go-w "$work/config"
host="sim:$work/host.json"
sock="$work/dispo.sock"
"$dispo" sim init --boot 50ms --host "$host" > /dev/null
now() { python3 -c 'import time; print(time.time())'; }
"$dispo" watch -c "$work/config" --host "$host" --socket "$sock" 2> "$work/watch.log" &
first=$!
until "$dispo" status --socket "$sock" > /dev/null 2>&1; do sleep 0.05; done

refusals=()
for _ in 1 2 3 4 5; do
    t0=$(now)
    "$dispo" watch -c "$work/config" --host "$host" --socket "$work/other.sock" 2> /dev/null && exit 1 || true
    refusals+=("$(python3 -c "import time; print(round(time.time() - $t0, 4))")")
done
echo "second watch refused (wall, 5 runs): ${refusals[*]} s"

python3 - "$sock" "$rounds" "$dispo" "$host" <<'PY'
import json, socket, subprocess, sys, threading, time, datetime
path, rounds, dispo, host = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lat, stop = [], threading.Event()
def follow():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
    f = s.makefile("rb")
    while f.readline() not in (b"\r\n", b""):
        pass
    while not stop.is_set():
        size = int(f.readline().strip(), 16)
        if size == 0:
            break
        line = f.read(size)
        f.readline()
        arrived = time.time()
        event = json.loads(line)
        at = datetime.datetime.strptime(event["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        if event["type"] in ("handed-out", "released"):
            lat.append(arrived - at.timestamp())
threading.Thread(target=follow, daemon=True).start()
time.sleep(0.3)
def api(method, target, body=b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1] or b"{}")
for _ in range(rounds):
    out = api("POST", "/v1/disposables", b'{"target": "default-dvm"}')
    api("DELETE", "/v1/disposables/" + out["name"])
time.sleep(1)
stop.set()
lat.sort()
if not lat:
    sys.exit("no events arrived")
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"/v1/events latency over {len(lat)} events (stamp to parsed by a streaming client; stamps have 1 ms resolution): "
      f"p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {lat[-1] * 1000:.2f} ms")
PY

kill -9 $first
wait $first 2> /dev/null || true
t0=$(now)
"$dispo" watch -c "$work/config" --host "$host" --socket "$sock" 2>> "$work/watch.log" &
until "$dispo" status --socket "$sock" > /dev/null 2>&1; do sleep 0.01; done
echo "takeover after kill -9 (new watch started until its API answers, wall): $(python3 -c "import time; print(round(time.time() - $t0, 3))") s"
