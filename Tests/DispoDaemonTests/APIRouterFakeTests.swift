import DispoEngine
import DispoTestKit
import Foundation
import Logging
import Synchronization
import Testing

@testable import DispoDaemon

/// The router over ``ControllerAPI`` alone, with a fake controller: each route reaches the protocol, refusals
/// keep their status, a backend without an operation answers 501 with its reason, a stopping one 503.
@Suite(.serialized)
struct APIRouterFakeTests {
    /// Records what the router asked; answers with fixed values.
    final class FakeController: ControllerAPI {
        struct Calls {
            var requests: [(String?, String?)] = []
            var releases: [String] = []
            var metricsRefreshed = 0
        }

        let calls = Mutex(Calls())
        let stopping = Atomic<Bool>(false)
        let metrics = DispoMetrics()
        let log = EventLog()

        var isStopping: Bool { stopping.load(ordering: .acquiring) }

        func request(target: String?, source: String?) async throws(RequestError) -> Handout {
            calls.withLock { $0.requests.append((target, source)) }
            if target == "missing" { throw RequestError(.notFound, "no disposable template named missing") }
            return Handout(
                name: "disp42", domid: 7, uuid: "u-1", template: target ?? "default-dvm", preloaded: true,
                seconds: 0.05)
        }

        func release(_ name: String) async throws(RequestError) {
            calls.withLock { $0.releases.append(name) }
            if name == "sys-net" { throw RequestError(.notReleasable, "sys-net is not an unnamed disposable") }
        }

        struct Status: Codable, Sendable {
            var backend = "fake"
            var source: StatusReport.SourcePart?
        }

        func statusDocument(
            servedBy source: StatusReport.SourcePart
        ) async throws(RequestError) -> any Encodable & Sendable {
            Status(source: source)
        }

        func planDocument(servedBy _: StatusReport.SourcePart) async throws(RequestError) -> any Encodable & Sendable {
            throw RequestError(.notSupported, "the fake backend has no plan")
        }

        func suspendHost(timeout: Double) async throws(RequestError) -> SuspendReport {
            throw RequestError(.notSupported, "the fake backend does not suspend")
        }

        func resumeHost() async throws(RequestError) -> ResumeReport {
            throw RequestError(.notSupported, "the fake backend does not suspend")
        }

        func refreshMetrics() async { calls.withLock { $0.metricsRefreshed += 1 } }

        func events(since: Int?) -> AsyncStream<ControllerEvent> { log.subscribe(since: since) }

        func events(after since: Int, waiting timeout: Duration) async -> (events: [ControllerEvent], last: Int) {
            let events = await log.events(after: since, waiting: timeout)
            return (events, events.last?.seq ?? log.last)
        }
    }

    /// The fake behind a real APIServer on a temporary socket.
    final class Served {
        let fake = FakeController()
        let directory: TemporaryDirectory
        let server: Task<Void, any Error>
        var socket: String { directory.path + "/api.sock" }

        init() async throws {
            directory = try TemporaryDirectory()
            let api = APIServer(
                path: directory.path + "/api.sock", group: nil, controller: fake, host: "fake:host", config: "/cfg",
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            server = Task { try await api.run() }
            let path = socket
            #expect(await eventually { APIClient.isServing(path) }, "the API serves")
        }

        deinit { server.cancel() }

        func call(_ method: String, _ path: String, _ body: String = "") async throws -> (Int, [String: Any]) {
            let reply = try await APIClient.send(method, path, body: Data(body.utf8), socket: socket)
            let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:]
            return (reply.status, object)
        }
    }

    @Test func postHandsOutThroughTheProtocolWithTheXenJSON() async throws {
        let served = try await Served()
        let (status, body) = try await served.call(
            "POST", "/v1/disposables", #"{"target": "work-dvm", "source": "vault"}"#)
        #expect(status == 201)
        #expect(Set(body.keys) == ["name", "domid", "uuid", "template", "preloaded", "seconds"])
        #expect(body["name"] as? String == "disp42")
        #expect(body["template"] as? String == "work-dvm")
        let requests = served.fake.calls.withLock { $0.requests }
        #expect(requests.count == 1)
        #expect(requests.first?.0 == "work-dvm")
        #expect(requests.first?.1 == "vault")
    }

    @Test func refusalsKeepTheirStatus() async throws {
        let served = try await Served()
        let (missing, body) = try await served.call("POST", "/v1/disposables", #"{"target": "missing"}"#)
        #expect(missing == 404)
        #expect(body["error"] as? String == "no disposable template named missing")
        let (named, _) = try await served.call("DELETE", "/v1/disposables/sys-net")
        #expect(named == 409)
        let (released, answer) = try await served.call("DELETE", "/v1/disposables/disp42")
        #expect(released == 200)
        #expect(answer["released"] as? String == "disp42")
        #expect(served.fake.calls.withLock { $0.releases } == ["sys-net", "disp42"])
    }

    @Test func anOperationTheBackendLacksIs501WithItsReason() async throws {
        let served = try await Served()
        let (status, body) = try await served.call("GET", "/v1/plan")
        #expect(status == 501)
        #expect(body["error"] as? String == "the fake backend has no plan")
        let (suspend, refused) = try await served.call("POST", "/v1/host/suspend")
        #expect(suspend == 501)
        #expect(refused["error"] as? String == "the fake backend does not suspend")
    }

    @Test func statusNamesTheControllerAndPingItsHost() async throws {
        let served = try await Served()
        let (status, body) = try await served.call("GET", "/v1/status")
        #expect(status == 200)
        #expect(body["backend"] as? String == "fake")
        let source = body["source"] as? [String: Any]
        #expect(source?["kind"] as? String == "controller")
        #expect(source?["socket"] as? String == served.socket)
        #expect((source?["pid"] as? Int).map(Int32.init) == getpid())
        let identity = try await APIClient.identity(served.socket)
        #expect(identity?.host == "fake:host")
        #expect(identity?.config == "/cfg")
    }

    @Test func metricsAreRefreshedBeforeTheyAreServed() async throws {
        let served = try await Served()
        served.fake.metrics.recordAction("set", ok: true)
        let reply = try await APIClient.send("GET", "/metrics", socket: served.socket)
        #expect(reply.status == 200)
        #expect(
            String(decoding: reply.body, as: UTF8.self).contains(#"dispo_actions_total{action="set",result="ok"} 1"#))
        #expect(served.fake.calls.withLock { $0.metricsRefreshed } == 1)
    }

    @Test func eventsComeFromTheProtocol() async throws {
        let served = try await Served()
        served.fake.log.append(ControllerEvent(.handedOut, object: "disp42", template: "default-dvm"))
        let reply = try await APIClient.send("GET", "/v1/events?since=0&wait=0", socket: served.socket)
        #expect(reply.status == 200)
        let page = try JSONDecoder().decode(EventPage.self, from: reply.body)
        #expect(page.events.map(\.object) == ["disp42"])
        #expect(page.last == 1)
    }

    @Test func aStoppingControllerAnswers503() async throws {
        let served = try await Served()
        served.fake.stopping.store(true, ordering: .releasing)
        let (status, _) = try await served.call("POST", "/v1/disposables", "{}")
        #expect(status == 503)
        #expect(served.fake.calls.withLock { $0.requests }.isEmpty)
    }
}
