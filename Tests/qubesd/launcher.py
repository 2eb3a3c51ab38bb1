"""Runs the pinned qubesd (qubes-core-admin) in a sandbox directory, on libvirt's test driver, without Xen.

Our own code, not Qubes': it imports the unpacked snapshot (installed into the harness's venv) and redirects, by
monkeypatching at run time, what a real dom0 provides. No qubes source file is edited. What is patched, and why:

- paths: base dir, pool dirs, kernels dir, the three socket paths, qmemman's file, the volumes' state marks: all
  under SANDBOX;
- libvirt: the URI is `test:///SANDBOX/node.xml` (a node file with `Domain-0`); dom0 is looked up by name
  (`Domain-0`), a qube's libvirt XML is a minimal test-driver domain (`type="test"`, its memory, maxmem and vcpus)
  after the real Jinja template has been rendered (so template errors still surface), and
  `createWithFlags(START_PAUSED)` is `create()` + `suspend()` (the test driver has no paused start), and qubesd's
  `virsh -c URI shutdown NAME` subprocess runs on qubesd's own connection (a second process would not share the
  test driver's state);
- the chown of the sockets to group `qubes`, `runuser`, and offline-mode detection (a container looks like a chroot);
- `qmemman_present = False` (no qmemman), a qmemman client that grants every request, and qmemman's free-memory file
  saying 8 GiB (the preload admission reads it); `qubesdb` is an in-memory stand-in for the C binding; the daemons
  `qrexec-daemon`, `qrexec-client`, `qubesdb-daemon` are stub scripts in SANDBOX/bin (the qrexec-daemon stub
  creates SANDBOX/run/qubes/qrexec.NAME, the file qubesd checks for "qrexec is running"); the `qrexec` Python
  package (policy, only consulted for calls from qubes other than dom0) is a stand-in that allows nothing.

Usage: python launcher.py create SANDBOX TEMPLATES_DIR   (an empty qubes.xml with pools and a dummy kernel)
       python launcher.py serve SANDBOX TEMPLATES_DIR    (qubesd, until SIGTERM)
"""

import asyncio
import os
import shutil
import sys
import types


def install_stand_ins(sandbox):
    """Modules a dom0 has and this machine does not: qubesdb (C binding) and qrexec (policy daemon's package)."""
    store = {}

    qubesdb = types.ModuleType("qubesdb")

    class Error(Exception):
        pass

    class DisconnectedError(Error):
        pass

    class QubesDB:
        def __init__(self, name):
            self.name = name
            self.data = store.setdefault(name, {})
            self._rfd, self._wfd = os.pipe()

        def read(self, path):
            return self.data.get(path)

        def write(self, path, value):
            self.data[path] = value if isinstance(value, bytes) else str(value).encode()
            return True

        def rm(self, path):
            for key in [k for k in self.data if k == path or (path.endswith("/") and k.startswith(path))]:
                del self.data[key]
            return True

        def list(self, prefix=""):
            return [k for k in self.data if k.startswith(prefix)]

        def multiread(self, prefix=""):
            return {k: v for k, v in self.data.items() if k.startswith(prefix)}

        def watch(self, path):
            return True

        def unwatch(self, path):
            return True

        def watch_fd(self):
            return self._rfd

        def read_watch(self):
            raise DisconnectedError()

        def close(self):
            for fd in (self._rfd, self._wfd):
                try:
                    os.close(fd)
                except OSError:
                    pass

    qubesdb.Error = Error
    qubesdb.DisconnectedError = DisconnectedError
    qubesdb.QubesDB = QubesDB
    sys.modules["qubesdb"] = qubesdb

    qrexec = types.ModuleType("qrexec")
    policy = types.ModuleType("qrexec.policy")
    utils = types.ModuleType("qrexec.policy.utils")
    parser = types.ModuleType("qrexec.policy.parser")
    server = types.ModuleType("qrexec.server")

    class AccessDenied(Exception):
        pass

    class Resolution:
        def __init__(self, *args, **kwargs):
            pass

    class Policy:
        def evaluate(self, request):
            raise AccessDenied("no qrexec policy in the test sandbox")

    class PolicyCache:
        def __init__(self, *args, **kwargs):
            pass

        def initialize_watcher(self):
            pass

        def get_policy(self):
            return Policy()

    class Request:
        def __init__(self, *args, **kwargs):
            pass

    async def call_socket_service(*args, **kwargs):
        raise OSError("no qrexec in the test sandbox")

    parser.AccessDenied = AccessDenied
    parser.AskResolution = Resolution
    parser.AllowResolution = Resolution
    parser.Request = Request
    utils.PolicyCache = PolicyCache
    server.call_socket_service = call_socket_service
    policy.utils = utils
    policy.parser = parser
    qrexec.policy = policy
    qrexec.server = server
    for name, module in [("qrexec", qrexec), ("qrexec.policy", policy), ("qrexec.policy.utils", utils),
                         ("qrexec.policy.parser", parser), ("qrexec.server", server)]:
        sys.modules[name] = module


def write_stub_daemons(sandbox):
    """qrexec-daemon (marks qrexec running), qrexec-client and qubesdb-daemon: exit 0 at once."""
    bin_dir = os.path.join(sandbox, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    os.makedirs(os.path.join(sandbox, "run", "qubes"), exist_ok=True)
    qrexec_dir = os.path.join(sandbox, "run", "qubes")
    scripts = {
        # qrexec-daemon [-q] -u UUID -- XID NAME USER: the name is the second argument after `--`
        "qrexec-daemon": '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\n'
        f'touch "{qrexec_dir}/qrexec.$3"\nexit 0\n',
        "qrexec-client": "#!/bin/sh\nexit 0\n",
        "qubesdb-daemon": "#!/bin/sh\nexit 0\n",
    }
    for name, text in scripts.items():
        path = os.path.join(bin_dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)


def write_node(sandbox):
    """The libvirt test driver's node: one running Domain-0."""
    path = os.path.join(sandbox, "node.xml")
    with open(path, "w") as f:
        f.write("""<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>16777216</memory>
  <domain type="test">
    <name>Domain-0</name>
    <uuid>00000000-0000-0000-0000-000000000000</uuid>
    <memory unit="MiB">4096</memory>
    <currentMemory unit="MiB">4096</currentMemory>
    <vcpu>4</vcpu>
    <os><type>xen</type></os>
  </domain>
</node>
""")
    return path


def patch(sandbox, templates_dir):
    """Redirects qubesd to the sandbox; call before anything creates a Qubes app."""
    install_stand_ins(sandbox)
    write_stub_daemons(sandbox)
    node = write_node(sandbox)

    import libvirt
    import qubes.config

    base = os.path.join(sandbox, "var", "lib", "qubes")
    os.makedirs(base, exist_ok=True)
    qubes.config.qubes_base_dir = base
    qubes.config.system_path["qrexec_daemon_path"] = os.path.join(sandbox, "bin", "qrexec-daemon")
    qubes.config.system_path["qrexec_client_path"] = os.path.join(sandbox, "bin", "qrexec-client")
    qubes.config.system_path["qubesdb_daemon_path"] = os.path.join(sandbox, "bin", "qubesdb-daemon")
    qubes.config.system_path["dom0_services_dir"] = os.path.join(sandbox, "run", "qubes-service")
    qubes.config.qmemman_avail_mem_file = os.path.join(sandbox, "run", "qubes", "qmemman-avail-mem")
    qubes.config.defaults["libvirt_uri"] = "test://" + node
    qubes.config.defaults["pool_configs"] = {
        "varlibqubes": {"dir_path": base, "name": "varlibqubes", "driver": "file-reflink", "setup_check": False},
        "linux-kernel": {"dir_path": os.path.join(base, "vm-kernels"), "driver": "linux-kernel",
                         "name": "linux-kernel"},
    }
    os.environ["QUBES_XML_PATH"] = os.path.join(base, "qubes.xml")

    import qubes.api.admin
    import qubes.api.internal
    import qubes.api.misc
    import qubes.app
    import qubes.vm.adminvm
    import qubes.vm.qubesvm

    import qubes.storage

    # the "volume is running" marks live in /var/run/qubes on a dom0
    qubes.storage.VOLUME_STATE_DIR = os.path.join(sandbox, "run", "qubes") + "/"

    qubes.api.admin.QubesAdminAPI.SOCKNAME = os.path.join(sandbox, "qubesd.sock")
    qubes.api.internal.QubesInternalAPI.SOCKNAME = os.path.join(sandbox, "qubesd.internal.sock")
    qubes.api.misc.QubesMiscAPI.SOCKNAME = os.path.join(sandbox, "qubesd.misc.sock")

    real_chown = shutil.chown

    def chown(path, user=None, group=None):
        if group == "qubes" and user is None:
            return None  # no group `qubes` here; the sandbox belongs to whoever runs the tests
        return real_chown(path, user, group)

    shutil.chown = chown

    real_vmm_init = qubes.app.VMMConnection.__init__

    def vmm_init(self, offline_mode=None, libvirt_reconnect_cb=None):
        # the real check (root and / is not /proc/1/root) takes a container for a chroot
        real_vmm_init(self, offline_mode=bool(offline_mode), libvirt_reconnect_cb=libvirt_reconnect_cb)

    qubes.app.VMMConnection.__init__ = vmm_init

    import jinja2

    real_app_init = qubes.app.Qubes.__init__

    apps = []

    def app_init(self, *args, **kwargs):
        real_app_init(self, *args, **kwargs)
        apps.append(self)
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader([templates_dir]),
                                      undefined=jinja2.StrictUndefined, autoescape=True)

    qubes.app.Qubes.__init__ = app_init

    def dom0_libvirt_domain(self):
        if self._libvirt_domain is not None:
            return self._libvirt_domain
        if self.app.vmm.offline_mode:
            return None
        self._libvirt_domain = self.app.vmm.libvirt_conn.lookupByName("Domain-0")
        return self._libvirt_domain

    qubes.vm.adminvm.AdminVM.libvirt_domain = property(dom0_libvirt_domain)

    qubes.vm.qubesvm.qmemman_present = False

    # qmemman: a client that grants every request (the preload path shrinks a preload before pausing it), and the
    # file qmemman writes its free-memory figure to, saying 8 GiB (what the preload admission reads)
    import qubes.qmemman.client

    class QMemmanClient:
        sock = None  # no connection to close

        def request_mem(self, amount):
            return True

        def set_mem(self, dom_memset):
            return True

        def close(self):
            pass

    qubes.qmemman.client.QMemmanClient = QMemmanClient
    with open(qubes.config.qmemman_avail_mem_file, "w") as f:
        f.write(str(8 * 1024 ** 3))

    @staticmethod
    async def start_daemon(*command, input=None, **kwargs):
        import subprocess
        p = await asyncio.create_subprocess_exec(*command, **kwargs)
        stdout, stderr = await p.communicate(input=input)
        if p.returncode:
            raise subprocess.CalledProcessError(p.returncode, command, output=stdout, stderr=stderr)

    qubes.vm.qubesvm.QubesVM.start_daemon = start_daemon

    real_qrexec_running = qubes.vm.qubesvm.QubesVM.is_qrexec_running

    def is_qrexec_running(self, stubdom=False):
        if self.xid < 0:
            return False
        name = self.name + "-dm" if stubdom else self.name
        return os.path.exists(os.path.join(sandbox, "run", "qubes", "qrexec." + name))

    assert real_qrexec_running is not None
    qubes.vm.qubesvm.QubesVM.is_qrexec_running = is_qrexec_running

    real_config_file = qubes.vm.qubesvm.QubesVM.create_config_file

    def create_config_file(self):
        real_config_file(self)  # the real template must still render
        return (f'<domain type="test"><name>{self.name}</name><uuid>{self.uuid}</uuid>'
                f'<memory unit="MiB">{max(self.maxmem or 0, self.memory)}</memory>'
                f'<currentMemory unit="MiB">{self.memory}</currentMemory>'
                f'<vcpu>{self.vcpus}</vcpu><os><type>xen</type></os></domain>')

    qubes.vm.qubesvm.QubesVM.create_config_file = create_config_file

    # qubesd shuts a qube down with `virsh -c URI shutdown NAME` (not to hold libvirt's lock); a second process has
    # its own test-driver state, so that one command runs on qubesd's own connection instead
    real_exec = asyncio.create_subprocess_exec

    class FinishedProcess:
        returncode = 0

        async def communicate(self, input=None):
            return b"", None

        async def wait(self):
            return 0

    async def create_subprocess_exec(program, *args, **kwargs):
        if program == "virsh" and len(args) == 4 and args[0] == "-c" and args[1].startswith("test://") \
                and args[2] == "shutdown" and apps:
            apps[-1].vmm.libvirt_conn.lookupByName(args[3]).shutdown()
            return FinishedProcess()
        return await real_exec(program, *args, **kwargs)

    asyncio.create_subprocess_exec = create_subprocess_exec

    real_create_with_flags = libvirt.virDomain.createWithFlags

    def create_with_flags(self, flags=0):
        if flags & libvirt.VIR_DOMAIN_START_PAUSED:
            ret = self.create()
            self.suspend()
            return ret
        return real_create_with_flags(self, flags)

    libvirt.virDomain.createWithFlags = create_with_flags


def create(sandbox):
    """An empty store: dom0, the labels, the two pools, and a dummy kernel as default_kernel."""
    import qubes

    kernel = os.path.join(qubes.config.qubes_base_dir, "vm-kernels", "6.6.0-dummy")
    os.makedirs(kernel, exist_ok=True)
    for name in ("vmlinuz", "initramfs", "modules.img"):
        open(os.path.join(kernel, name), "a").close()
    app = qubes.Qubes.create_empty_store(os.environ["QUBES_XML_PATH"], offline_mode=True)
    asyncio.run(app.setup_pools())
    app.default_kernel = "6.6.0-dummy"
    app.save()


def main():
    command, sandbox, templates_dir = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    patch(sandbox, templates_dir)
    if command == "create":
        create(sandbox)
    elif command == "serve":
        import qubes.tools.qubesd
        qubes.tools.qubesd.main(["--debug"] if os.environ.get("DISPO_QUBESD_DEBUG") else [])
    else:
        sys.exit(f"unknown command {command!r}; use create or serve")


if __name__ == "__main__":
    main()
