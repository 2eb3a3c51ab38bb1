#!/usr/bin/env python3
"""Attacks on a running `dispo watch` (simulated host) through its socket, one after another, while a pinger
measures `GET /v1/ping` (a new connection every 50 ms). For each attack: what was tried, whether the daemon
survived (alive, and every ping answered 200 within PING_BOUND seconds), and the ping latency p50/p99/max.
At the end: the daemon's RSS and descriptors before and after (nothing may leak), and 50 concurrent requests
against max 4 (50 distinct names). Exit 1 when an attack was not survived.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PING_BOUND = 1.0
PING = b"GET /v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def exchange(path, data, timeout=30):
    """Sends data, reads to the end; the answer's bytes (b'' when the server closed first)."""
    s = connect(path, timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        s.close()


class Pinger(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.samples = []  # (latency or None, status)
        self.running = True
        self.lock = threading.Lock()

    def run(self):
        while self.running:
            start = time.monotonic()
            try:
                answer = exchange(self.path, PING, timeout=10)
                status = answer[9:12].decode(errors="replace")
            except OSError as error:
                status = type(error).__name__
            latency = time.monotonic() - start
            with self.lock:
                self.samples.append((latency, status))
            time.sleep(0.05)

    def take(self):
        with self.lock:
            samples, self.samples = self.samples, []
        return samples


def daemon_figures(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def run_threads(count, target):
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def attack_slowloris(path, seconds):
    """200 connections (the table holds 128) sending a header byte every 0.5 s."""
    stop = time.monotonic() + seconds
    def one():
        try:
            s = connect(path)
            s.sendall(b"GET /v1/ping HTTP/1.1\r\nX-Slow: ")
            while time.monotonic() < stop:
                s.sendall(b"a")
                time.sleep(0.5)
        except OSError:
            pass
    for t in run_threads(200, one):
        t.join()
    return "200 connections, a byte every 0.5 s"


def hammer(path, seconds, clients, payloads):
    """`clients` threads sending each payload in turn on a new connection until `seconds` pass: answer counts."""
    stop = time.monotonic() + seconds
    answers = {}
    lock = threading.Lock()
    def one():
        while time.monotonic() < stop:
            for data in payloads:
                status = exchange(path, data)[9:12].decode(errors="replace") or "closed"
                with lock:
                    answers[status] = answers.get(status, 0) + 1
    for t in run_threads(clients, one):
        t.join()
    return answers


def attack_big_head(path, seconds):
    answers = hammer(path, seconds, 8, [
        b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n",
        b"GET /v1/ping HTTP/1.1\r\nX: " + b"b" * (1 << 20) + b"\r\n\r\n",
        b"GET /v1/ping HTTP/1.1\r\n" + b"X: b\r\n" * 100000 + b"\r\n"])
    return f"1 MiB request lines, 1 MiB header fields, 100,000 fields from 8 clients: {answers}"


def attack_big_body(path, seconds):
    answers = hammer(path, seconds, 8, [
        b"POST /v1/disposables HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n" + b"a" * 5000000])
    return f"5 MB bodies from 8 clients: {answers}"


def attack_wrong_length(path, seconds):
    answers = {}
    def one():
        for data in (b"POST /v1/disposables HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}",
                     b"GET /v1/ping HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GARBAGE\r\n\r\n",
                     b"GET /v1/ping HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                     b"GET /v1/ping HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"):
            answer = exchange(path, data, timeout=15)  # the 408 comes after 10 s
            key = ",".join(part[:3].decode(errors="replace") for part in answer.split(b"HTTP/1.1 ")[1:]) or "closed"
            answers[key] = answers.get(key, 0) + 1
    for t in run_threads(50, one):
        t.join()
    return f"short, long, negative and doubled Content-Length from 50 clients: {answers}"


def attack_pipelining(path, seconds):
    counts = []
    def one():
        answer = exchange(path, PING.replace(b"Connection: close\r\n", b"") * 999 + PING)
        counts.append(answer.count(b"HTTP/1.1 200"))
    for t in run_threads(5, one):
        t.join()
    return f"1,000 pipelined pings on each of 5 connections: {counts} answered"


def attack_flood(path, seconds):
    answers = hammer(path, seconds, 64, [b"GET /v1/status HTTP/1.1\r\nConnection: close\r\n\r\n"])
    return f"64 clients asking /v1/status as fast as they can: {answers}"


def attack_config(path, seconds, config):
    """A 10,000-template netvm chain and a file of 50,000 unknown keys dropped into the watched directory."""
    chain = os.path.join(config, "chain.yaml")
    with open(chain + ".tmp", "w") as f:
        for i in range(10000):
            netvm = f"netvm: c{i - 1}\n" if i else ""
            f.write(f"---\napiVersion: dispo/v1\nkind: DisposableTemplate\nname: c{i}\ntemplate: base\n{netvm}")
    os.chmod(chain + ".tmp", 0o644)
    os.rename(chain + ".tmp", chain)
    time.sleep(seconds / 2)
    keys = os.path.join(config, "keys.yaml")
    with open(keys + ".tmp", "w") as f:
        f.write("apiVersion: dispo/v1\nkind: DisposableTemplate\nname: k\ntemplate: base\n")
        for i in range(50000):
            f.write(f"unknown{i}: {i}\n")
    os.chmod(keys + ".tmp", 0o644)
    os.rename(keys + ".tmp", keys)
    time.sleep(seconds / 2)
    os.unlink(chain)
    os.unlink(keys)
    time.sleep(2)
    return "a 10,000-template netvm chain, then 50,000 unknown keys, in the watched directory"


def concurrent_requests(path):
    names = []
    lock = threading.Lock()
    def one():
        body = b'{"target": "default-dvm"}'
        answer = exchange(path, b"POST /v1/disposables HTTP/1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                          % len(body) + body, timeout=300)
        body = answer.split(b"\r\n\r\n", 1)[-1]
        try:
            with lock:
                names.append(json.loads(body)["name"])
        except (ValueError, KeyError):
            with lock:
                names.append(None)
    for t in run_threads(50, one):
        t.join()
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dispo", required=True)
    parser.add_argument("--seconds", type=float, default=10, help="length of each attack")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dispo-attack.")
    os.chmod(work, 0o755)
    config = os.path.join(work, "config")
    os.mkdir(config, 0o755)
    with open(os.path.join(config, "dispo.yaml"), "w") as f:
        f.write("apiVersion: dispo/v1\nkind: Template\nname: base\nkernel: /boot/vmlinuz\n---\n"
                "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: default-dvm\ntemplate: base\n"
                "memory: 100MiB\npreload: { max: 4, delay: 0s }\n---\n"
                "apiVersion: dispo/v1\nkind: System\ndefault_dispvm: default-dvm\n")
    os.chmod(os.path.join(config, "dispo.yaml"), 0o644)
    host = "sim:" + os.path.join(work, "host.json")
    sock = os.path.join(work, "dispo.sock")
    subprocess.run([args.dispo, "sim", "init", "--memory", "64GiB", "--boot", "200ms", "--host", host], check=True,
                   capture_output=True)
    log = open(os.path.join(work, "watch.log"), "w")
    watch = subprocess.Popen([args.dispo, "watch", "-c", config, "--host", host, "--socket", sock],
                             stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if exchange(sock, PING, timeout=2)[9:12] == b"200":
                break
        except OSError:
            time.sleep(0.1)
    time.sleep(2)
    before = daemon_figures(watch.pid)
    pinger = Pinger(sock)
    pinger.start()
    failed = False
    print(f"{'attack':14} {'survived':8} {'pings':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  tried")
    attacks = [("slowloris", attack_slowloris), ("huge heads", attack_big_head), ("huge bodies", attack_big_body),
               ("wrong length", attack_wrong_length), ("pipelining", attack_pipelining), ("flood", attack_flood),
               ("hostile config", lambda sock, seconds: attack_config(sock, seconds, config))]
    for name, attack in attacks:
        pinger.take()
        tried = attack(sock, args.seconds)
        samples = pinger.take()
        latencies = sorted(l for l, status in samples if status == "200")
        bad = [status for _, status in samples if status != "200"]
        alive = watch.poll() is None
        survived = alive and not bad and latencies and latencies[-1] <= PING_BOUND
        failed |= not survived
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
        print(f"{name:14} {'yes' if survived else 'NO':8} {len(samples):5} {p(0.5):7.1f} {p(0.99):7.1f} "
              f"{(latencies[-1] * 1000 if latencies else float('nan')):7.1f}  {tried}"
              + (f"  (failed pings: {sorted(set(bad))})" if bad else ""), flush=True)
    pinger.running = False
    pinger.join()
    names = concurrent_requests(sock)
    distinct = len(set(n for n in names if n))
    print(f"50 concurrent POST /v1/disposables (max 4): {distinct} distinct names, "
          f"{len(names) - len(set(names))} handed out twice, {names.count(None)} failed")
    failed |= distinct != 50
    time.sleep(12)  # idle connections close after 10 s
    after = daemon_figures(watch.pid)
    print(f"daemon RSS {before[0]:.1f} -> {after[0]:.1f} MiB, descriptors {before[1]} -> {after[1]}")
    if after[1] > before[1] + 4:
        print("LEAK: descriptors")
        failed = True
    watch.terminate()
    code = watch.wait(timeout=30)
    print(f"dispo watch exited {code} on SIGTERM")
    failed |= code != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
