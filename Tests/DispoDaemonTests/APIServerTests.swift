import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The socket API in process: a controller on the simulated host in virtual time, served on a temporary socket and
/// called with ``APIClient``.
@Suite(.serialized)
struct APIServerTests {
    /// A controller world with its API on a socket.
    final class Served {
        let world: ControllerWorld
        let directory: TemporaryDirectory
        let server: Task<Void, any Error>
        var socket: String { directory.path + "/api.sock" }

        init(_ yaml: String = requestConfig, boot: Double = 2, start: Bool = true) async throws {
            world = ControllerWorld(yaml, boot: boot)
            directory = try TemporaryDirectory()
            let api = APIServer(
                path: directory.path + "/api.sock", group: nil, controller: world.controller, config: "/test",
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            server = Task { try await api.run() }
            let path = directory.path + "/api.sock"
            #expect(await eventually { await APIClient.isServing(path) }, "the API serves")
            if start {
                world.start()
                #expect(await world.settle { await world.controller.desired != nil })
            }
        }

        func call(_ method: String, _ path: String, _ body: String = "") async throws -> (Int, String) {
            let reply = try await APIClient.send(method, path, body: Data(body.utf8), socket: socket)
            return (reply.status, String(decoding: reply.body, as: UTF8.self))
        }

        /// `POST /v1/disposables`, moving virtual time on while it runs (a cold start waits for the boot).
        func request(_ body: String) async throws -> (Int, [String: Any]) {
            let socket = self.socket
            let clock = world.clock
            let reply = try await withThrowingTaskGroup(of: APIClient.Reply?.self) { group in
                group.addTask {
                    try await APIClient.send("POST", "/v1/disposables", body: Data(body.utf8), socket: socket)
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(2))
                        clock.advance(by: 0.05)
                    }
                    return nil
                }
                var reply: APIClient.Reply?
                while reply == nil, let next = try await group.next() { reply = next }
                group.cancelAll()
                return reply
            }
            let status = reply?.status ?? 0
            return (status, reply.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] } ?? [:])
        }

        func stop() async {
            await world.stop()
            server.cancel()
            _ = await server.result
        }
    }

    @Test func servesEveryRoute() async throws {
        let served = try await Served()
        #expect(try await served.world.settle { try await served.world.queue("default-dvm").count == 2 })
        let (pingCode, ping) = try await served.call("GET", "/v1/ping")
        let identity = try JSONDecoder().decode(DaemonIdentity.self, from: Data(ping.utf8))
        #expect(pingCode == 200 && identity.ok && identity.pid == getpid(), "\(ping)")
        #expect(identity.config == "/test" && identity.socket == served.socket, "\(ping)")
        #expect(identity.host.hasPrefix("sim:"), "\(ping)")
        let (statusCode, status) = try await served.call("GET", "/v1/status")
        #expect(statusCode == 200 && status.contains("\"templates\""), "\(status)")
        let (planCode, plan) = try await served.call("GET", "/v1/plan")
        #expect(planCode == 200 && plan.contains("\"in_sync\""), "\(plan)")

        let (code, handout) = try await served.request(#"{"target": "default-dvm"}"#)
        #expect(code == 201, "\(handout)")
        #expect(Set(handout.keys) == ["name", "domid", "uuid", "template", "preloaded", "seconds"])
        #expect(handout["preloaded"] as? Bool == true)
        #expect(handout["template"] as? String == "default-dvm")
        let name = try #require(handout["name"] as? String)
        #expect(name.hasPrefix("disp"))

        let (metricsCode, metrics) = try await served.call("GET", "/metrics")
        #expect(metricsCode == 200)
        for expected in [
            #"dispo_request_seconds_count{source="preload"} 1"#, #"dispo_preload_ready{template="default-dvm"}"#,
            #"dispo_preload_target{template="default-dvm"} 2"#, #"dispo_actions_total{action="create",result="ok"}"#,
            "dispo_reconcile_seconds_count", "dispo_config_errors 0",
        ] {
            #expect(metrics.contains(expected), "\(expected) in\n\(metrics)")
        }

        let released = try await served.call("DELETE", "/v1/disposables/\(name)")
        #expect(released == (200, "{\n  \"released\" : \"\(name)\"\n}\n"))
        #expect(try await served.world.snapshot.domain(named: name) == nil, "released and removed")
        await served.stop()
    }

    /// A child the daemon forks (libxl's hotplug scripts) must not inherit the listening socket: one that outlived
    /// a daemon killed mid-create kept it accepting connections, and the next daemon refused to start.
    @Test func theListeningSocketIsClosedOnExec() async throws {
        let served = try await Served(start: false)
        // Bound under a temporary name in the socket's directory, then renamed: found by its directory.
        let listeners = SocketPath.listeners(in: served.directory.path)
        #expect(listeners.count == 1, "the server's listening socket is found")
        let marked = listeners.allSatisfy { fcntl($0, F_GETFD) & FD_CLOEXEC != 0 }
        #expect(marked, "the listening socket is inherited by children")
        await served.stop()
    }

    @Test func anEmptyBodyMeansDispvmAndAColdStartWhenNoPreloadIsReady() async throws {
        let served = try await Served(requestConfig.replacingOccurrences(of: "max: 2", with: "max: 0"))
        let (code, handout) = try await served.request("")
        #expect(code == 201, "\(handout)")
        #expect(handout["template"] as? String == "default-dvm", "@dispvm is System.default_dispvm")
        #expect(handout["preloaded"] as? Bool == false)
        let (sourced, fromSource) = try await served.request(#"{"target": "@dispvm", "source": null}"#)
        #expect(sourced == 201, "\(fromSource)")
        await served.stop()
    }

    @Test(arguments: [
        ("{", "not valid JSON"), (#"{"targt": "default-dvm"}"#, #"unknown field \"targt\""#),
        (#"{"target": 3}"#, "target must be a string"), (#"{"source": ["a"]}"#, "source must be a string"),
        ("[1]", "must be a JSON object"), (#"{"target": "@nope"}"#, "unknown target @nope"),
        (#"{"target": "@dispvm:@tag:"}"#, "needs a tag"),
    ])
    func badBodiesAre400(body: String, message: String) async throws {
        let served = try await Served(start: false)
        let (code, text) = try await served.call("POST", "/v1/disposables", body)
        #expect(code == 400)
        #expect(text.contains(message), "\(text)")
        await served.stop()
    }

    @Test func anOversizedBodyIs413WithoutBeingRead() async throws {
        let served = try await Served(start: false)
        let big = "{\"target\": \"" + String(repeating: "a", count: 100 * 1024) + "\"}"
        let (code, text) = try await served.call("POST", "/v1/disposables", big)
        #expect(code == 413, "\(text)")
        // Content-Length says 10 MB and none of it is sent: the answer comes at once.
        let raw = rawExchange(
            served.socket,
            "POST /v1/disposables HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 10000000\r\nConnection: close\r\n\r\n")
        #expect(raw.hasPrefix("HTTP/1.1 413"), "\(raw)")
        // Chunked: no endpoint takes a streamed body, so it is refused before any of it is read.
        let chunk = String(repeating: "a", count: 70 * 1024)
        let chunked = rawExchange(
            served.socket,
            "POST /v1/disposables HTTP/1.1\r\nHost: localhost\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n")
        #expect(chunked.hasPrefix("HTTP/1.1 501"), "\(chunked)")
        #expect(chunked.contains("Content-Length"), "\(chunked)")
        await served.stop()
    }

    @Test func metricsFollowTheConfigAndCountEachReconcileOnce() async throws {
        let served = try await Served()
        let world = served.world
        #expect(await world.settle(seconds: 30) { await !world.controller.history.isEmpty })
        let (_, before) = try await served.call("GET", "/metrics")
        #expect(before.contains(#"dispo_preload_target{template="solo-dvm"} 0"#), "\(before)")
        world.edit(config(max: 2))
        #expect(await world.settle(seconds: 5) { await world.controller.desired?.disposableTemplates.count == 1 })
        let (_, after) = try await served.call("GET", "/metrics")
        #expect(!after.contains("solo-dvm"), "a template that left the config loses its series:\n\(after)")

        let metrics = DispoMetrics()
        let report = try await world.controller.status()
        metrics.update(from: report)
        metrics.update(from: report)
        #expect(metrics.exposition().contains("dispo_reconcile_seconds_count \(report.history.count)\n"))
        await served.stop()
    }

    @Test func targetErrors() async throws {
        let served = try await Served()
        let (unknown, unknownBody) = try await served.call("POST", "/v1/disposables", #"{"target": "default-dv"}"#)
        #expect(unknown == 404)
        #expect(unknownBody.contains("no disposable template named default-dv"), "\(unknownBody)")
        let (ambiguous, ambiguousBody) = try await served.call(
            "POST", "/v1/disposables",
            #"{"target": "@dispvm:@tag:work"}"#)
        #expect(ambiguous == 400)
        #expect(ambiguousBody.contains("work-a, work-b"), "\(ambiguousBody)")
        let (untagged, _) = try await served.call("POST", "/v1/disposables", #"{"target": "@dispvm:@tag:none"}"#)
        #expect(untagged == 404)
        let (code, handout) = try await served.request(#"{"target": "@dispvm:@tag:solo"}"#)
        #expect(code == 201 && handout["template"] as? String == "solo-dvm", "\(handout)")
        await served.stop()
    }

    @Test func releaseRefusals() async throws {
        let served = try await Served(requestConfig + namedConfig)
        let world = served.world
        #expect(
            try await world.settle {
                let named = try await world.snapshot.domain(named: "sys-work")
                return try await world.queue("default-dvm").count == 2 && named?.power == .running
            })
        try await world.admin.addForeign(name: "mine", memory: .mebibytes(400))
        let preload = try await world.queue("default-dvm")[0]
        for (name, code, message) in [
            ("sys-work", 409, "is a named disposable"), (preload, 409, "waiting in the queue"),
            ("nothing", 404, "no domain named nothing"), ("mine", 409, "was not made by dispo"),
        ] {
            let (status, text) = try await served.call("DELETE", "/v1/disposables/\(name)")
            #expect(status == code, "\(name): \(text)")
            #expect(text.contains(message), "\(name): \(text)")
        }
        #expect(try await world.snapshot.domain(named: "mine") != nil, "untouched")
        await served.stop()
    }

    @Test func wrongMethodsAre405AndUnknownPaths404() async throws {
        let served = try await Served(start: false)
        for (method, path) in [
            ("GET", "/v1/disposables"), ("PUT", "/v1/disposables"), ("GET", "/v1/disposables/disp1"),
            ("POST", "/v1/status"), ("DELETE", "/v1/plan"), ("POST", "/v1/ping"), ("POST", "/metrics"),
        ] {
            let (status, text) = try await served.call(method, path)
            #expect(status == 405, "\(method) \(path): \(text)")
        }
        for (method, path) in [("GET", "/"), ("GET", "/v2/status"), ("DELETE", "/v1/disposables/a/b")] {
            let (status, text) = try await served.call(method, path)
            #expect(status == 404, "\(method) \(path): \(text)")
            #expect(text.contains("\"error\""))
        }
        await served.stop()
    }

    @Test func aHostFailureIs500() async throws {
        let served = try await Served(requestConfig.replacingOccurrences(of: "max: 2", with: "max: 0"))
        _ = try await served.world.admin.injectFault(operation: .create, count: 1)
        let (code, body) = try await served.request(#"{"target": "default-dvm"}"#)
        #expect(code == 500, "\(body)")
        #expect((body["error"] as? String)?.contains("create failed") == true, "\(body)")
        await served.stop()
    }

    @Test func everyRouteIs503OnceStopping() async throws {
        let served = try await Served()
        await served.world.controller.stop()
        for (method, path) in [
            ("POST", "/v1/disposables"), ("DELETE", "/v1/disposables/disp1"), ("GET", "/v1/status"),
            ("GET", "/v1/plan"), ("GET", "/v1/ping"), ("GET", "/metrics"),
        ] {
            let (status, text) = try await served.call(method, path)
            #expect(status == 503, "\(method) \(path): \(text)")
            #expect(text.contains("shutting down"))
        }
        await served.stop()
    }
}

/// Templates for targets: default-dvm (preloaded, System default), two tagged "work", one tagged "solo".
let requestConfig =
    config(max: 2) + """
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work-a
        template: debian-12
        tags: [work]
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work-b
        template: debian-12
        tags: [work]
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: solo-dvm
        template: debian-12
        tags: [solo]
        ---
        apiVersion: dispo/v1
        kind: System
        default_dispvm: default-dvm

        """

let namedConfig = """
    ---
    apiVersion: dispo/v1
    kind: NamedDisposable
    name: sys-work
    template: work-a
    state: running

    """

