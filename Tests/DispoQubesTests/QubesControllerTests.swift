import DispoConfig
import DispoDaemon
import DispoEngine
import DispoQubes
import DispoTestKit
import Foundation
import Logging
import Testing

@testable import DispoQubesDaemon

/// The Qubes controller on recorded qubesd replies (Fixtures/): a pass is apply's converge, a request the direct
/// path's calls; refusals carry the socket API's codes.
struct QubesControllerTests {
    /// examples/qubes, as the controller's config source.
    struct ExampleSource: ConfigSource {
        func load() async -> ConfigLoad {
            ConfigLoad(ConfigLoader().load(directory: BinaryRunner.packageRoot + "/examples/qubes"))
        }

        func changes() -> AsyncStream<ConfigCue> { AsyncStream { $0.finish() } }

        func status() async -> SourceStatus? { nil }
    }

    static func controller(_ fixture: String) throws -> (QubesController, ReplayTransport) {
        let url = try #require(Bundle.module.url(forResource: fixture, withExtension: "json", subdirectory: "Fixtures"))
        let transport = ReplayTransport(try TranscriptEntry.load(url))
        let controller = QubesController(
            client: AdminClient(transport: transport), location: "qubes:/test/qubesd.sock", source: ExampleSource(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (controller, transport)
    }

    @Test func aPassConvergesLikeApplyAndRecordsItsWork() async throws {
        let (controller, _) = try Self.controller("apply-examples-qubes")
        await controller.pass()
        let history = await controller.history
        #expect(history.count == 1)
        #expect((history.first?.actions ?? 0) > 50, "\(history)")
        #expect(history.first?.errors == 0)
        let (events, _) = await controller.events(after: 0, waiting: .zero)
        #expect(events.contains { $0.type == .configLoaded })
        #expect(events.contains { $0.type == .done && $0.object == "dvm-sys" && $0.action == "create" })
        #expect(events.last?.type == .reconciled)
        let digests = await controller.digests
        #expect(digests.observed != nil && digests.observed == digests.inForce, "in line: observed is the config")
        // now the event filter watches what the config declares
        #expect(controller.isRelevant(AdminEvent(subject: "dvm-sys", name: "property-set:memory")))
        #expect(!controller.isRelevant(AdminEvent(subject: "dvm-sys", name: "property-reset:xid")))
        #expect(controller.metrics.exposition().contains(#"dispo_actions_total{action="create",result="ok"}"#))
    }

    @Test func aRequestIsCreateDisposableAndARefusalHasItsCode() async throws {
        let (controller, transport) = try Self.controller("request-cold")
        await #expect(throws: RequestError.self) { try await controller.request(target: nil, source: nil) }
        do {
            _ = try await controller.request(target: nil, source: nil)
        } catch {
            #expect(error.code == .unavailable, "no config in force yet")
        }
        await controller.reloadConfig()
        let handout = try await controller.request(target: "@dispvm:@tag:anon-vm", source: nil)
        #expect(!handout.preloaded)
        #expect(handout.template == "whonix-workstation-17-dvm")
        #expect(handout.domid > 0)
        do {
            _ = try await controller.request(target: "no-such-dvm", source: nil)
            Issue.record("an undeclared target is refused")
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message.contains("no disposable template named no-such-dvm"))
        }
        try await controller.release(handout.name)
        #expect(transport.unused.isEmpty)
        let (events, _) = await controller.events(after: 0, waiting: .zero)
        #expect(events.map(\.type).suffix(2) == [.handedOut, .released])
        await controller.stop()
        do {
            _ = try await controller.request(target: "default-dvm", source: nil)
        } catch {
            #expect(error.code == .shuttingDown)
        }
    }

    @Test(arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (40, 30.0)])
    func aFailingPassIsRetriedWithABackOffUpToTheResync(_ failures: Int, _ seconds: Double) {
        #expect(QubesControllerOptions(resync: 30).retryDelay(afterFailures: failures) == seconds)
    }

    @Test(arguments: [
        (QubesError(.badRequest, "bad target"), RequestError.Code.badRequest, RequestError.Code.notReleasable),
        (QubesError(.refused, exceptionType: "QubesVMNotFoundError", "no such domain"), .notFound, .notFound),
        (QubesError(.unavailable, "cannot connect"), .hostFailed, .hostFailed),
        (QubesError(.refused, exceptionType: "QubesException", "busy"), .hostFailed, .hostFailed),
    ])
    func qubesErrorsMapToTheAPIsCodes(_ error: QubesError, _ request: RequestError.Code, _ release: RequestError.Code) {
        #expect(RequestError(request: error).code == request)
        #expect(RequestError(release: error).code == release)
        #expect(RequestError(request: error).message == error.description)
    }
}
