#!/usr/bin/env python3
"""The real qubesd for dispo's Qubes tests: a cached venv, a sandbox, start, seed, stop.

    harness.py prepare                 make (or reuse) the venv; prints its directory
    harness.py start SANDBOX           an empty qubes.xml in SANDBOX, qubesd serving SANDBOX/qubesd.sock, seeded
                                       with the TemplateVMs of examples/qubes (a dom0 has its templates installed)
    harness.py stop SANDBOX            SIGTERM (then SIGKILL after 10 s) the qubesd of SANDBOX
    harness.py run -- COMMAND...       start in a temporary sandbox, run COMMAND with DISPO_QUBESD_SOCKET set, stop

The venv lives in ${DISPO_QUBESD_CACHE:-${XDG_CACHE_HOME:-~/.cache}/dispo}/qubesd-KEY, KEY a digest of the two
snapshots and of this file's requirements: a second run reuses it. The snapshots are unpacked there, never into the
project tree. qubesd needs Python 3.13 (pyenv's) and libvirt-python 9.0.0 built against Debian's libvirt-dev (see
../shared/third_party/README.md). Exit status 3 means a prerequisite is missing (the make target reports it loudly).
"""

import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
THIRD_PARTY = os.environ.get("DISPO_THIRD_PARTY", os.path.join(os.path.dirname(REPO), "shared", "third_party"))
SNAPSHOTS = ["qubes-core-admin.tar.gz", "qubes-core-admin-client.tar.gz"]
REQUIREMENTS = ["lxml", "jinja2", "PyYAML", "docutils", "libvirt-python==9.0.0"]
# The TemplateVMs a dom0 would have installed for examples/qubes (dispo never installs templates).
TEMPLATES = ["debian-12-xfce", "fedora-41-xfce", "whonix-workstation-17"]
TEMPLATE_FEATURES = ["qrexec", "supported-rpc.qubes.WaitForRunningSystem", "supported-rpc.qubes.WaitForSession"]
MISSING = 3


def fail(message, status=1):
    print(f"qubesd harness: {message}", file=sys.stderr)
    sys.exit(status)


def third_party_dir():
    candidates = [THIRD_PARTY, "/work/shared/third_party"]
    for directory in candidates:
        if all(os.path.exists(os.path.join(directory, name)) for name in SNAPSHOTS):
            return directory
    fail(f"the qubes snapshots are not in {' or '.join(candidates)} (set DISPO_THIRD_PARTY)", MISSING)


def cache_dir():
    digest = hashlib.sha256()
    directory = third_party_dir()
    for name in SNAPSHOTS:
        with open(os.path.join(directory, name), "rb") as f:
            digest.update(f.read())
    digest.update(" ".join(REQUIREMENTS).encode())
    root = os.environ.get("DISPO_QUBESD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dispo")
    return os.path.join(root, "qubesd-" + digest.hexdigest()[:12])


def python313():
    """pyenv's Python 3.13 (qubesd's preload path needs it; Debian's 3.11 fails there)."""
    explicit = os.environ.get("DISPO_QUBESD_PYTHON")
    if explicit:
        if not os.access(explicit, os.X_OK):
            fail(f"DISPO_QUBESD_PYTHON={explicit} is not an executable", MISSING)
        return explicit
    roots = []
    try:
        roots.append(subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    roots.append(os.path.expanduser("~/.pyenv"))
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "versions", "3.13*", "bin", "python3.13")))
        if found:
            return found[-1]
    on_path = shutil.which("python3.13")
    if on_path:
        return on_path
    fail("no Python 3.13 (pyenv install 3.13, or set DISPO_QUBESD_PYTHON)", MISSING)


def prepare():
    """The venv with qubesd installed from the snapshot, made once per snapshot digest."""
    cache = cache_dir()
    ready = os.path.join(cache, "ready")
    if os.path.exists(ready):
        return cache
    if shutil.which("pkg-config") is None or subprocess.run(
            ["pkg-config", "--exists", "libvirt"]).returncode != 0:
        fail("libvirt-dev and pkg-config are needed (apt-get install libvirt-dev pkg-config)", MISSING)
    building = cache + ".building"
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(building)
    directory = third_party_dir()
    for name in SNAPSHOTS:
        with tarfile.open(os.path.join(directory, name)) as archive:
            archive.extractall(os.path.join(building, "src"), filter="data")
    venv = os.path.join(building, "venv")
    print(f"qubesd harness: making the venv in {cache} (once per snapshot)", file=sys.stderr)
    subprocess.run([python313(), "-m", "venv", venv], check=True)
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + REQUIREMENTS, check=True)
    subprocess.run(pip + ["--no-deps", os.path.join(building, "src", "qubes-core-admin")], check=True)
    open(os.path.join(building, "ready"), "w").close()
    shutil.rmtree(cache, ignore_errors=True)
    os.rename(building, cache)
    return cache


def call(sock, method, dest="dom0", arg="", payload=b""):
    """One Admin API call over the raw socket; returns the body or raises with qubesd's exception."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(f"{method}+{arg} dom0 name {dest}\0".encode() + payload)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while chunk := s.recv(65536):
        reply += chunk
    s.close()
    if reply.startswith(b"0\0"):
        return reply[2:]
    raise RuntimeError(f"{method} {dest} {arg}: {reply!r}")


def launcher(cache, command, sandbox, **kwargs):
    python = os.path.join(cache, "venv", "bin", "python")
    templates = os.path.join(cache, "src", "qubes-core-admin", "templates")
    return [python, os.path.join(HERE, "launcher.py"), command, sandbox, templates]


def start(sandbox):
    cache = prepare()
    sandbox = os.path.abspath(sandbox)
    os.makedirs(sandbox, exist_ok=True)
    subprocess.run(launcher(cache, "create", sandbox), check=True, cwd=sandbox)
    log = open(os.path.join(sandbox, "qubesd.log"), "w")
    process = subprocess.Popen(launcher(cache, "serve", sandbox), cwd=sandbox, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(sandbox, "qubesd.pid"), "w") as f:
        f.write(str(process.pid))
    sock = os.path.join(sandbox, "qubesd.sock")
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            fail(f"qubesd exited with status {process.returncode}; see {sandbox}/qubesd.log")
        try:
            call(sock, "admin.vm.List")
            break
        except (OSError, RuntimeError):
            if time.monotonic() > deadline:
                stop(sandbox)
                fail(f"qubesd did not answer on {sock} within 60 s; see {sandbox}/qubesd.log")
            time.sleep(0.2)
    for name in TEMPLATES:
        call(sock, "admin.vm.Create.TemplateVM", payload=f"name={name} label=black".encode())
        for feature in TEMPLATE_FEATURES:
            call(sock, "admin.vm.feature.Set", name, feature, b"1")
    call(sock, "admin.property.Set", "dom0", "default_template", TEMPLATES[0].encode())
    return sock


def stop(sandbox):
    path = os.path.join(os.path.abspath(sandbox), "qubesd.pid")
    try:
        pid = int(open(path).read())
    except (OSError, ValueError):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.unlink(path)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.unlink(path)


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    command = sys.argv[1]
    if command == "prepare":
        print(prepare())
    elif command == "start" and len(sys.argv) == 3:
        print(start(sys.argv[2]))
    elif command == "stop" and len(sys.argv) == 3:
        stop(sys.argv[2])
    elif command == "run" and len(sys.argv) > 3 and sys.argv[2] == "--":
        sandbox = tempfile.mkdtemp(prefix="dispo-qubesd-")
        try:
            sock = start(sandbox)
            status = subprocess.run(sys.argv[3:], env=dict(os.environ, DISPO_QUBESD_SOCKET=sock)).returncode
        finally:
            stop(sandbox)
        if status == 0:
            shutil.rmtree(sandbox, ignore_errors=True)
        else:
            print(f"qubesd harness: kept {sandbox} (qubesd.log) for a look", file=sys.stderr)
        sys.exit(status)
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
