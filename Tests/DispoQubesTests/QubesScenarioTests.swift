import DispoDaemon
import DispoEngine
import DispoQubes
import DispoTestKit
import Foundation
import Testing

/// dispo against the real qubesd of Tests/qubesd (pinned qubes-core-admin on libvirt's test driver), each test on
/// a fresh one. Run by `make test-qubes` (DISPO_QUBESD_TESTS=1); skipped otherwise.
@Suite(.serialized, .enabled(if: Qubesd.enabled, "set DISPO_QUBESD_TESTS=1 (make test-qubes) to run against qubesd"))
struct QubesScenarioTests {
    @Test func applyFromNothingThenDiffIsInSyncStatusAndRequest() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        let apply = try qubesd.dispo(["apply", "-c", config.path])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("converged"))

        let diff = try qubesd.dispo(["diff", "-c", config.path])
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        #expect(diff.stdout.contains("in sync"))

        // what qubesd now holds, read back through its own API
        #expect(try await qubesd.property("default-dvm", "template_for_dispvms") == "True")
        #expect(try await qubesd.property("default-dvm", "netvm") == "sys-firewall")
        #expect(try await qubesd.property("sys-net", "provides_network") == "True")
        #expect(try await qubesd.property("sys-firewall", "auto_cleanup") == "False")
        #expect(try await qubesd.property("sys-firewall", "memory") == "500")
        #expect(try await qubesd.property("dom0", "default_dispvm") == "default-dvm")
        #expect(try await qubesd.call("admin.vm.feature.Get", "dom0", argument: "preload-dispvm-max") == "2")
        #expect(try await qubesd.call("admin.vm.feature.Get", "fedora-41-xfce-dvm", argument: "preload-dispvm-delay") == "-1")
        #expect(try await qubesd.call("admin.vm.tag.List", "whonix-workstation-17-dvm").contains("anon-vm"))
        #expect(try await qubesd.property("whonix-workstation-17-dvm", "label") == "purple")
        #expect(try await qubesd.property("default-dvm", "label") == "red")
        let list = try await qubesd.call("admin.vm.List")
        for name in ["sys-net", "sys-firewall", "sys-usb"] {
            #expect(list.contains("\(name) class=DispVM state=Running"), "\(list)")
        }

        // qubesd fills default-dvm's queue (the global max 2); status shows it, a request takes from it
        let filled = try await eventually(seconds: 60) {
            let status = try qubesd.dispo(["status", "-c", config.path, "--json"])
            guard let report = try? JSONDecoder().decode(QubesStatus.self, from: Data(status.stdout.utf8)) else { return false }
            return report.templates.first { $0.name == "default-dvm" }?.preload.ready == 2
        }
        #expect(filled)
        let status = try qubesd.dispo(["status", "-c", config.path, "--json"])
        let report = try JSONDecoder().decode(QubesStatus.self, from: Data(status.stdout.utf8))
        #expect(report.host.backend == "qubes")
        #expect(report.named.map(\.state) == ["running", "running", "running"])
        #expect(report.named.allSatisfy { $0.upToDate })
        let queue = report.templates.first { $0.name == "default-dvm" }?.preload.queue ?? []

        let request = try qubesd.dispo(["request", "-c", config.path, "--json"])
        #expect(request.status == 0, "\(request.stderr)")
        let handout = try JSONDecoder().decode(HandoutJSON.self, from: Data(request.stdout.utf8))
        #expect(handout.preloaded)
        #expect(handout.template == "default-dvm")
        #expect(queue.first == handout.name, "the oldest preload is handed out")
        #expect(try await qubesd.call("admin.vm.List", handout.name).contains("state=Running"))

        // a template with no preload: a cold disposable, started
        let cold = try qubesd.dispo(["request", "@dispvm:@tag:anon-vm", "-c", config.path, "--json"])
        let coldHandout = try JSONDecoder().decode(HandoutJSON.self, from: Data(cold.stdout.utf8))
        #expect(!coldHandout.preloaded)
        #expect(coldHandout.template == "whonix-workstation-17-dvm")
        #expect(try await qubesd.call("admin.vm.List", coldHandout.name).contains("state=Running"))

        // release: killed, and qubesd removes it; a named disposable is refused and keeps running
        let release = try qubesd.dispo(["release", coldHandout.name])
        #expect(release.status == 0, "\(release.stderr)")
        #expect(try await eventually(seconds: 20) { try await !qubesd.names().contains(coldHandout.name) })
        let refused = try qubesd.dispo(["release", "sys-usb"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not an unnamed disposable"), "\(refused.stderr)")
        #expect(try await qubesd.call("admin.vm.List", "sys-usb").contains("state=Running"))
    }

    @Test func driftBehindDisposBackIsShownAndFixed() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        #expect(try qubesd.dispo(["apply", "-c", config.path]).status == 0)
        _ = try await qubesd.call("admin.vm.property.Set", "dvm-sys", argument: "memory", payload: "777")
        _ = try await qubesd.call("admin.vm.tag.Remove", "whonix-workstation-17-dvm", argument: "anon-vm")
        _ = try await qubesd.call("admin.vm.feature.Set", "dom0", argument: "preload-dispvm-max", payload: "5")

        let diff = try qubesd.dispo(["diff", "-c", config.path, "--json"])
        #expect(diff.status == 2)
        let plan = try JSONDecoder().decode(DiffJSON.self, from: Data(diff.stdout.utf8))
        let details = Set(plan.actions.map { "\($0.name ?? ""): \($0.detail)" })
        #expect(details.contains("dvm-sys: memory 777 -> 300"), "\(details)")
        #expect(details.contains("whonix-workstation-17-dvm: tag anon-vm"), "\(details)")
        #expect(details.contains("dom0: feature preload-dispvm-max 5 -> 2"), "\(details)")
        #expect(plan.actions.count == 3, "\(details)")

        #expect(try qubesd.dispo(["apply", "-c", config.path]).status == 0)
        #expect(try qubesd.dispo(["diff", "-c", config.path]).status == 0)
        #expect(try await qubesd.property("dvm-sys", "memory") == "300")
        #expect(try await qubesd.call("admin.vm.tag.List", "whonix-workstation-17-dvm").contains("anon-vm"))
    }

    @Test func pruningRemovesOnlyWhatDispoMade() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        // a qube of the user's, made like dispo's would be: it must survive the prune
        _ = try await qubesd.call("admin.vm.Create.AppVM", "dom0", argument: "debian-12-xfce", payload: "name=work label=blue")
        #expect(try qubesd.dispo(["apply", "-c", config.path]).status == 0)

        let sys = try String(contentsOfFile: config.path + "/sys-qubes.yaml", encoding: .utf8)
        let withoutUSB = sys.components(separatedBy: "---").filter { !$0.contains("name: sys-usb") }.joined(separator: "---")
        try config.write("sys-qubes.yaml", withoutUSB)
        let disposable = try String(contentsOfFile: config.path + "/disposable-templates.yaml", encoding: .utf8)
        try config.write("disposable-templates.yaml", disposable.components(separatedBy: "---")
            .filter { !$0.contains("name: fedora-41-xfce-dvm") }.joined(separator: "---"))

        let diff = try qubesd.dispo(["diff", "-c", config.path, "--json"])
        #expect(diff.status == 2)
        let plan = try JSONDecoder().decode(DiffJSON.self, from: Data(diff.stdout.utf8))
        #expect(Set(plan.actions.filter { $0.op == "destroy" }.compactMap(\.name)) == ["sys-usb", "fedora-41-xfce-dvm"])
        #expect(plan.actions.allSatisfy { $0.op == "destroy" }, "\(plan.actions.map(\.detail))")

        let apply = try qubesd.dispo(["apply", "-c", config.path])
        #expect(apply.status == 0, "\(apply.stderr)")
        let names = try await qubesd.names()
        #expect(!names.contains("sys-usb"))
        #expect(!names.contains("fedora-41-xfce-dvm"))
        #expect(names.isSuperset(of: ["work", "sys-net", "sys-firewall", "default-dvm", "fedora-41-xfce"]))
        #expect(try await qubesd.call("admin.vm.feature.Get", "dom0", argument: "dispo-qubes")
            == "default-dvm dvm-sys sys-firewall sys-net whonix-workstation-17-dvm")
        #expect(try qubesd.dispo(["diff", "-c", config.path]).status == 0)
    }

    @Test func aForeignQubeWithADeclaredNameIsAConflictAndUntouched() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        _ = try await qubesd.call("admin.vm.Create.AppVM", "dom0", argument: "fedora-41-xfce",
            payload: "name=dvm-sys label=green")
        // what is set on it (inherited values follow the globals, e.g. default_dispvm, which apply may set)
        func own() async throws -> [Substring] {
            try await qubesd.call("admin.vm.property.GetAll", "dvm-sys").split(separator: "\n")
                .filter { $0.contains("default=False") }
        }
        let before = try await own()
        let features = try await qubesd.call("admin.vm.feature.List", "dvm-sys")

        let diff = try qubesd.dispo(["diff", "-c", config.path])
        #expect(diff.status == 1)
        #expect(diff.stderr.contains("dvm-sys: a qube dispo did not make"), "\(diff.stderr)")
        let apply = try qubesd.dispo(["apply", "-c", config.path])
        #expect(apply.status == 1)
        #expect(try await own() == before)
        #expect(try await qubesd.call("admin.vm.feature.List", "dvm-sys") == features)
        #expect(!(try await qubesd.call("admin.vm.tag.List", "dvm-sys")).contains(QubesVocabulary.ownerTag))
        // what does not depend on it is still made; the named disposables of dvm-sys wait
        let names = try await qubesd.names()
        #expect(names.contains("default-dvm"))
        #expect(!names.contains("sys-net"))
    }

    @Test func aRunningNamedDisposableRestartsOnlyWithTheFlag() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        #expect(try qubesd.dispo(["apply", "-c", config.path]).status == 0)
        let sys = try String(contentsOfFile: config.path + "/sys-qubes.yaml", encoding: .utf8)
        try config.write("sys-qubes.yaml", sys.replacingOccurrences(of: "memory: 500MiB", with: "memory: 600MiB"))

        let diff = try qubesd.dispo(["diff", "-c", config.path, "--json"])
        let plan = try JSONDecoder().decode(DiffJSON.self, from: Data(diff.stdout.utf8))
        #expect(plan.actions.contains { $0.name == "sys-firewall" && $0.op == "restart" && $0.pending })
        let apply = try qubesd.dispo(["apply", "-c", config.path])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("pending: sys-firewall"))
        #expect(try await qubesd.property("sys-firewall", "memory") == "600")

        let restart = try qubesd.dispo(["apply", "--restart", "-c", config.path])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try qubesd.dispo(["diff", "-c", config.path]).status == 0)
        #expect(try await qubesd.call("admin.vm.List", "sys-firewall").contains("state=Running"))
    }

    @Test func adminEventsFromQubesdAreParsed() async throws {
        let qubesd = try Qubesd()
        let stream = qubesd.client.events()
        var iterator = stream.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.name == "connection-established")
        _ = try await qubesd.call("admin.vm.feature.Set", "debian-12-xfce", argument: "dispo-probe", payload: "42")
        var seen: AdminEvent?
        while let event = try await iterator.next() {
            if event.name == "domain-feature-set:dispo-probe" {
                seen = event
                break
            }
        }
        #expect(seen?.subject == "debian-12-xfce")
        #expect(seen?.arguments["value"] == "42", "\(String(describing: seen))")
    }

    /// `dispo watch --host qubes` on the real qubesd: it applies the config on start, serves the socket API
    /// (`POST /v1/disposables` is qubesd's CreateDisposable, in the Xen JSON), applies a config edit, sets back a
    /// change made behind its back (from qubesd's events: the resync is far off), routes `dispo request`/`release`/
    /// `status` through itself, and exits 0 on SIGTERM, removing its socket.
    @Test func theControllerServesTheSocketAndKeepsQubesdInLine() async throws {
        let qubesd = try Qubesd()
        let config = try exampleConfig()
        let socket = qubesd.sandbox.path + "/dispo.sock"
        let watch = try RunningBinary(
            ["watch", "-c", config.path, "--host", qubesd.host, "--socket", socket, "--resync", "10m",
             "--debounce", "100ms"],
            logPath: qubesd.sandbox.path + "/watch.log")
        func api(_ method: String, _ path: String, _ body: String = "") async throws -> (Int, [String: Any]) {
            let reply = try await APIClient.send(method, path, body: Data(body.utf8), socket: socket)
            return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
        }
        func status() async throws -> QubesStatus? {
            let reply = try await APIClient.send("GET", "/v1/status", socket: socket)
            return try? JSONDecoder().decode(QubesStatus.self, from: reply.body)
        }

        // applied on start: qubesd in line with the config, and the controller says so
        let inLine = try await eventually(seconds: 90) {
            guard APIClient.isServing(socket), let report = try await status() else { return false }
            return report.config.observed == report.config.revision && report.named.allSatisfy(\.upToDate)
                && report.named.map(\.state) == ["running", "running", "running"]
        }
        #expect(inLine, "\(watch.log)")
        #expect(try await qubesd.property("default-dvm", "template_for_dispvms") == "True")
        #expect(try await qubesd.property("dom0", "default_dispvm") == "default-dvm")
        let served = try await status()
        #expect(served?.source?.kind == "controller")
        #expect(served?.source?.socket == socket)
        #expect((served?.history?.count ?? 0) >= 1)
        let (planStatus, plan) = try await api("GET", "/v1/plan")
        #expect(planStatus == 200)
        #expect(plan["in_sync"] as? Bool == true, "\(plan)")

        // POST: qubesd hands out the oldest of its preloads of default-dvm
        let filled = try await eventually(seconds: 60) {
            try await status()?.templates.first { $0.name == "default-dvm" }?.preload.ready == 2
        }
        #expect(filled)
        let queue = try await status()?.templates.first { $0.name == "default-dvm" }?.preload.queue ?? []
        let (created, handout) = try await api("POST", "/v1/disposables", #"{"target": "default-dvm"}"#)
        #expect(created == 201, "\(handout)")
        #expect(Set(handout.keys) == ["name", "domid", "uuid", "template", "preloaded", "seconds"], "\(handout)")
        let name = handout["name"] as? String ?? ""
        #expect(name == queue.first, "the oldest preload: \(queue)")
        #expect(handout["template"] as? String == "default-dvm")
        #expect(handout["preloaded"] as? Bool == true)
        #expect((handout["seconds"] as? Double ?? -1) >= 0)
        // qubesd's own listing: a running DispVM of default-dvm, with that xid and uuid
        let listed = try await qubesd.call("admin.vm.List", name)
        #expect(listed.contains("\(name) class=DispVM state=Running"), "\(listed)")
        #expect(listed.contains("uuid=\(handout["uuid"] as? String ?? "?")"), "\(listed)")
        #expect(try await qubesd.property(name, "template") == "default-dvm")
        #expect(try await qubesd.property(name, "xid") == "\(handout["domid"] as? Int ?? -1)")

        // the CLI goes through the controller: a cold one (no preload for whonix), then its release
        let request = try qubesd.dispo(["request", "@dispvm:@tag:anon-vm", "-c", config.path, "--json"])
        #expect(request.status == 0, "\(request.stderr)")
        #expect(request.stderr.contains("using the controller"), "\(request.stderr)")
        let cold = try JSONDecoder().decode(HandoutJSON.self, from: Data(request.stdout.utf8))
        #expect(!cold.preloaded)
        #expect(cold.template == "whonix-workstation-17-dvm")
        let release = try qubesd.dispo(["release", cold.name])
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.stderr.contains("using the controller"), "\(release.stderr)")
        #expect(try await eventually(seconds: 20) { try await !qubesd.names().contains(cold.name) })
        let (refused, refusal) = try await api("DELETE", "/v1/disposables/sys-usb")
        #expect(refused == 409, "\(refusal)")
        #expect(try await qubesd.call("admin.vm.List", "sys-usb").contains("state=Running"))
        let cliStatus = try qubesd.dispo(["status", "-c", config.path, "--check"])
        #expect(cliStatus.status == 0, "\(cliStatus.stdout)\(cliStatus.stderr)")
        #expect(cliStatus.stdout.contains("through the controller"), "\(cliStatus.stdout)")
        // one writer: apply is refused while the controller keeps qubesd
        let apply = try qubesd.dispo(["apply", "-c", config.path])
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("would fight it"), "\(apply.stderr)")

        // a config edit is applied by the running controller (inotify)
        let templates = try String(contentsOfFile: config.path + "/disposable-templates.yaml", encoding: .utf8)
        try config.write("disposable-templates.yaml",
            templates.replacingOccurrences(of: "maxmem: 2000MiB", with: "maxmem: 3000MiB"))
        #expect(try await eventually(seconds: 30) {
            try await qubesd.property("whonix-workstation-17-dvm", "maxmem") == "3000"
        }, "\(watch.log)")

        // changed behind its back: set back on qubesd's events, long before the resync
        _ = try await qubesd.call("admin.vm.property.Set", "dvm-sys", argument: "memory", payload: "777")
        _ = try await qubesd.call("admin.vm.tag.Remove", "whonix-workstation-17-dvm", argument: "anon-vm")
        #expect(try await eventually(seconds: 30) {
            let memory = try await qubesd.property("dvm-sys", "memory")
            let tags = try await qubesd.call("admin.vm.tag.List", "whonix-workstation-17-dvm")
            return memory == "300" && tags.contains("anon-vm")
        }, "\(watch.log)")
        #expect(watch.log.contains("dvm-sys"), "the correction is logged")

        let metrics = try await APIClient.send("GET", "/metrics", socket: socket)
        let exposition = String(decoding: metrics.body, as: UTF8.self)
        #expect(exposition.contains(#"dispo_preload_target{template="default-dvm"} 2"#), "\(exposition)")
        #expect(exposition.contains("dispo_request_seconds_count{source=\"preload\"} 1"), "\(exposition)")

        watch.signal(SIGTERM)
        #expect(await watch.wait(seconds: 30) == 0, "\(watch.log)")
        #expect(!FileManager.default.fileExists(atPath: socket))
        #expect(watch.log.contains("controller stopped"))
    }

    /// With DISPO_QUBES_RECORD=1: records the transcripts the unit tests replay (Fixtures/).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DISPO_QUBES_RECORD"] == "1"))
    func recordTranscripts() async throws {
        let qubesd = try Qubesd()
        let desired = try loadExample()
        let recording = AdminClient(transport: UnixSocketTransport(path: qubesd.socket), recording: true)
        let outcome = try await QubesReconciler(client: recording).converge(desired)
        #expect(outcome.converged)
        let plan = try await QubesReconciler(client: recording).plan(desired)
        #expect(plan.isInSync)
        do {
            _ = try await recording.call("admin.vm.Start", "no-such-qube")
        } catch {}
        let fixtures = URL(fileURLWithPath: BinaryRunner.packageRoot + "/Tests/DispoQubesTests/Fixtures")
        try TranscriptEntry.write(recording.transcript, to: fixtures.appendingPathComponent("apply-examples-qubes.json"))

        // a cold hand-out (whonix has no preload) and its release
        let requests = AdminClient(transport: UnixSocketTransport(path: qubesd.socket), recording: true)
        let handout = try await QubesRequester(client: requests).request("@dispvm:@tag:anon-vm", source: nil,
            desired: desired)
        #expect(!handout.preloaded)
        try await QubesRequester(client: requests).release(handout.name)
        try TranscriptEntry.write(requests.transcript, to: fixtures.appendingPathComponent("request-cold.json"))
    }
}

struct HandoutJSON: Decodable {
    var name: String
    var template: String
    var preloaded: Bool
}

struct DiffJSON: Decodable {
    struct Action: Decodable {
        var op: String
        var name: String?
        var reason: String
        var pending: Bool
        var detail: String
    }

    var actions: [Action]
}
