#!/usr/bin/env python3
"""Soak: `dispo watch` on the simulated host under a seeded random mix of config edits, requests, releases,
guest crashes, unpauses behind its back, injected faults and SIGHUPs, for --minutes (default 10).

Invariants are checked continuously from the host (`dispo sim ls --json`) and the answers:
  - no name is ever handed out twice (a released name is never reused within the run);
  - never more ready (paused) preloads of a template than its preload.max (the larger of the old and new max
    for GRACE seconds after an edit: the controller needs a pass to follow it);
  - nothing half-made (a preload not yet paused) older than its ready timeout plus GRACE;
  - the foreign domain is untouched (same domid, running, no dispo metadata);
  - a preload unpaused behind dispo's back is never handed out;
  - every request is answered (201, or 500/503 while a fault or a reload is in the way), none hangs.
Resource figures of the daemon (RSS, open descriptors, threads, CPU) are sampled every 10 s. Exit 1 on a broken
invariant or on growth (RSS over the first minute's by more than 50% and 20 MiB, descriptors by more than 16,
threads by more than 8); the figures are printed either way.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

GRACE = 8.0
READY_TIMEOUT = 20


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.dispo = args.dispo
        self.work = tempfile.mkdtemp(prefix="dispo-soak.")
        os.chmod(self.work, 0o755)
        self.config = os.path.join(self.work, "config")
        os.mkdir(self.config, 0o755)
        self.host = "sim:" + os.path.join(self.work, "host.json")
        self.sock = os.path.join(self.work, "dispo.sock")
        self.templates = ["dvm1", "dvm2", "dvm3"]
        self.max = {name: 2 for name in self.templates}
        self.max_history = []  # (time, {template: max}) of each config written
        self.handed = {}  # name -> template, in use
        self.seen = set()
        self.unpaused = set()
        self.counts = {k: 0 for k in ("requests", "cold", "preloaded", "request_errors", "releases", "edits",
                                      "crashes", "unpauses", "faults", "sighups", "checks")}
        self.violations = []
        self.samples = []
        self.foreign = None

    def run_dispo(self, *argv, check=True):
        result = subprocess.run([self.dispo, *argv], capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"dispo {' '.join(argv)}: {result.returncode} {result.stderr.strip()}")
        return result

    def write_config(self):
        docs = ["apiVersion: dispo/v1\nkind: Template\nname: base\nkernel: /boot/vmlinuz\n"]
        for name in self.templates:
            docs.append(
                f"apiVersion: dispo/v1\nkind: DisposableTemplate\nname: {name}\ntemplate: base\n"
                f"memory: 100MiB\nmaxmem: 400MiB\nready: {{ xenstore: data/ready, timeout: {READY_TIMEOUT}s }}\n"
                f"preload: {{ max: {self.max[name]}, delay: 0s }}\n")
        docs.append("apiVersion: dispo/v1\nkind: System\ndefault_dispvm: dvm1\n")
        path = os.path.join(self.config, "dispo.yaml")
        with open(path + ".tmp", "w") as f:
            f.write("---\n".join(docs))
        os.chmod(path + ".tmp", 0o644)
        os.rename(path + ".tmp", path)
        self.max_history.append((time.monotonic(), dict(self.max)))
        check = self.run_dispo("validate", "-c", self.config, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"the soak's own config is invalid: {check.stdout}{check.stderr}")

    def call(self, method, path, body=None, timeout=90):
        connection = UnixHTTPConnection(self.sock, timeout)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def domains(self):
        return json.loads(self.run_dispo("sim", "ls", "--json", "--host", self.host).stdout)["domains"]

    def violation(self, text):
        print(f"VIOLATION: {text}", flush=True)
        self.violations.append(text)

    # -- actions ---------------------------------------------------------------------------------------------

    def request(self):
        target = self.rng.choice(self.templates)
        self.counts["requests"] += 1
        status, body = self.call("POST", "/v1/disposables", json.dumps({"target": target}).encode())
        if status != 201:
            self.counts["request_errors"] += 1
            if status not in (500, 503):
                self.violation(f"request for {target} answered {status}: {body[:200]!r}")
            return
        answer = json.loads(body)
        name = answer["name"]
        self.counts["preloaded" if answer["preloaded"] else "cold"] += 1
        if name in self.seen:
            self.violation(f"{name} handed out twice")
        if name in self.unpaused:
            self.violation(f"{name} was unpaused behind dispo's back and then handed out")
        self.seen.add(name)
        self.handed[name] = target

    def release(self):
        if not self.handed:
            return
        name = self.rng.choice(sorted(self.handed))
        status, body = self.call("DELETE", f"/v1/disposables/{name}")
        del self.handed[name]
        if status == 200:
            self.counts["releases"] += 1
        elif status not in (404, 500, 503):  # 404: it crashed and was cleaned up meanwhile
            self.violation(f"release of {name} answered {status}: {body[:200]!r}")

    def edit(self):
        name = self.rng.choice(self.templates)
        self.max[name] = self.rng.randint(0, 3)
        self.write_config()
        self.counts["edits"] += 1

    def crash(self):
        mine = [d for d in self.domains() if d.get("owner") == "dispo" and d["state"] in ("running", "paused")]
        if mine:
            victim = self.rng.choice(mine)["name"]
            if self.run_dispo("sim", "crash", victim, "--host", self.host, check=False).returncode == 0:
                self.counts["crashes"] += 1
                self.handed.pop(victim, None)

    def unpause(self):
        paused = [d for d in self.domains() if d.get("role") == "preload" and d["state"] == "paused"]
        if paused:
            victim = self.rng.choice(paused)["name"]
            if self.run_dispo("sim", "unpause", victim, "--host", self.host, check=False).returncode == 0:
                self.unpaused.add(victim)
                self.counts["unpauses"] += 1

    def fault(self):
        operation = self.rng.choice(["create", "start", "pause", "unpause", "ready"])
        self.run_dispo("sim", "fail", operation, "--count", "1", "--host", self.host)
        self.counts["faults"] += 1

    def sighup(self):
        os.kill(self.watch.pid, signal.SIGHUP)
        self.counts["sighups"] += 1

    # -- checks ----------------------------------------------------------------------------------------------

    def allowed_max(self, template, now):
        allowed = self.max_history[-1][1][template]
        for index, (when, maxima) in enumerate(self.max_history):
            later = self.max_history[index + 1][0] if index + 1 < len(self.max_history) else now
            if later >= now - GRACE:
                allowed = max(allowed, maxima[template])
        return allowed

    def check(self):
        now = time.monotonic()
        wall = time.time()
        domains = self.domains()
        self.counts["checks"] += 1
        foreign = [d for d in domains if d["name"] == "foreign-1"]
        if not foreign or foreign[0]["domid"] != self.foreign["domid"] or foreign[0]["state"] != "running" \
                or foreign[0].get("owner") not in (None, "-", ""):
            self.violation(f"the foreign domain changed: {foreign}")
        for template in self.templates:
            ready = [d for d in domains if d.get("role") == "preload" and d.get("template") == template
                     and d.get("stage") == "paused" and d["state"] == "paused"]
            allowed = self.allowed_max(template, now)
            if len(ready) > allowed:
                self.violation(f"{template}: {len(ready)} ready preloads, max {allowed}")
        for d in domains:
            if d.get("role") == "preload" and d.get("stage") != "paused":
                created = float(d.get("metadata", {}).get("created", wall))
                if wall - created > READY_TIMEOUT + GRACE + 30:
                    self.violation(f"{d['name']} half-made for {wall - created:.0f} s (stage {d.get('stage')})")

    def sample(self):
        pid = self.watch.pid
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        self.samples.append({
            "t": time.monotonic() - self.started,
            "rss_mib": int(status["VmRSS"].split()[0]) / 1024,
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": int(status["Threads"]),
            "cpu_s": (int(fields[11]) + int(fields[12])) / ticks,
        })

    # -- the run ---------------------------------------------------------------------------------------------

    def run(self):
        self.run_dispo("sim", "init", "--memory", "64GiB", "--boot", "200ms", "--seed", str(self.args.seed),
                       "--host", self.host)
        self.run_dispo("sim", "add", "foreign-1", "--memory", "1GiB", "--host", self.host)
        self.foreign = [d for d in self.domains() if d["name"] == "foreign-1"][0]
        self.write_config()
        log = open(os.path.join(self.work, "watch.log"), "w")
        self.watch = subprocess.Popen(
            [self.dispo, "watch", "-c", self.config, "--host", self.host, "--socket", self.sock],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/v1/ping", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        self.started = time.monotonic()
        end = self.started + self.args.minutes * 60
        actions = [(self.request, 30), (self.release, 25), (self.edit, 10), (self.crash, 6), (self.unpause, 6),
                   (self.fault, 6), (self.sighup, 4)]
        weights = [w for _, w in actions]
        next_check = next_sample = self.started
        last_report = self.started
        try:
            while time.monotonic() < end:
                if self.watch.poll() is not None:
                    self.violation(f"dispo watch exited with {self.watch.returncode}")
                    break
                action = self.rng.choices([a for a, _ in actions], weights)[0]
                try:
                    action()
                except (OSError, http.client.HTTPException) as error:
                    self.violation(f"{action.__name__}: {error!r}")
                now = time.monotonic()
                if now >= next_check:
                    self.check()
                    next_check = now + 1
                if now >= next_sample:
                    self.sample()
                    next_sample = now + 10
                if now - last_report >= 60:
                    last_report = now
                    s = self.samples[-1]
                    print(f"[{(now - self.started) / 60:4.1f} min] {self.counts['requests']} requests, "
                          f"{self.counts['checks']} checks, rss {s['rss_mib']:.1f} MiB, fds {s['fds']}, "
                          f"threads {s['threads']}, cpu {s['cpu_s']:.1f} s", flush=True)
                time.sleep(self.rng.uniform(0.02, 0.2))
            for _ in range(int(GRACE) + 2):  # the last edits settle; checks go on
                self.check()
                time.sleep(1)
            self.sample()
        finally:
            if self.watch.poll() is None:
                self.watch.send_signal(signal.SIGTERM)
                try:
                    code = self.watch.wait(timeout=20)
                    if code != 0:
                        self.violation(f"dispo watch exited {code} on SIGTERM")
                except subprocess.TimeoutExpired:
                    self.watch.kill()
                    self.violation("dispo watch did not stop within 20 s of SIGTERM")
        return self.report()

    def report(self):
        first = [s for s in self.samples if s["t"] <= 60] or self.samples[:1]
        start, last = self.samples[0], self.samples[-1]
        baseline_rss = max(s["rss_mib"] for s in first)
        minutes = max(last["t"] / 60, 1e-9)
        print("\n== soak figures (seed %d, %.1f min)" % (self.args.seed, last["t"] / 60))
        for key, value in self.counts.items():
            print(f"  {key:15} {value}")
        print(f"  rss_mib         start {start['rss_mib']:.1f}  first-minute max {baseline_rss:.1f}  "
              f"end {last['rss_mib']:.1f}")
        print(f"  fds             start {start['fds']}  end {last['fds']}")
        print(f"  threads         start {start['threads']}  end {last['threads']}")
        print(f"  cpu             {last['cpu_s']:.1f} s in all, {(last['cpu_s'] - start['cpu_s']) / minutes:.2f} s/min")
        if last["rss_mib"] > baseline_rss * 1.5 and last["rss_mib"] - baseline_rss > 20:
            self.violation(f"RSS grew from {baseline_rss:.1f} to {last['rss_mib']:.1f} MiB")
        if last["fds"] > start["fds"] + 16:
            self.violation(f"descriptors grew from {start['fds']} to {last['fds']}")
        if last["threads"] > start["threads"] + 8:
            self.violation(f"threads grew from {start['threads']} to {last['threads']}")
        served = self.counts["cold"] + self.counts["preloaded"]
        if served < self.counts["requests"] / 2:
            self.violation(f"only {served} of {self.counts['requests']} requests were served")
        print(f"  violations      {len(self.violations)}")
        for v in self.violations[:20]:
            print(f"    {v}")
        if self.violations:
            print(f"  work directory  {self.work} (kept: watch.log, host.json, config/)")
            return 1
        shutil.rmtree(self.work, ignore_errors=True)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dispo", required=True, help="the dispo binary")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(Soak(parser.parse_args()).run())


if __name__ == "__main__":
    main()
