import DispoConfig
import DispoHost
import DispoTestKit
import Foundation
import Testing

@testable import DispoSim

/// The ``Host`` contract (``HostConformance``) kept by the simulated host, on a virtual clock, in memory and in a
/// state file; `make e2e` runs the same checks against Xen (`dispo-conformance`).
struct SimConformanceTests {
    enum Store: String, CaseIterable, Sendable {
        case memory, file
    }

    static let foreign = "mine"

    /// A fresh host with a running domain dispo did not make, as `dispo sim` adds one; in memory, or in a new state
    /// file in `directory`.
    static func conformance(in directory: String? = nil) -> HostConformance {
        HostConformance(
            makeHost: {
                let store: any SimStore =
                    directory.map { FileSimStore(path: $0 + "/\(UUID().uuidString).json") }
                    ?? MemorySimStore()
                let host = SimHost(store: store, clock: VirtualClock())
                try await host.admin.addForeign(name: foreign, memory: .mebibytes(512))
                return host
            },
            spec: Fixture.spec(memory: 400, maxmem: 4000, ready: Readiness(xenstore: "data/ready")),
            neverReady: { host, _ in
                guard let sim = host as? SimHost else { throw HostError(.invalidState, "not a simulated host") }
                try await sim.admin.injectFault(operation: .ready)
                return Readiness(xenstore: "data/ready", timeout: .seconds(2))
            },
            foreignDomain: foreign, events: .named, patience: .seconds(30))
    }

    @Test(arguments: HostConformance.checks, Store.allCases)
    func simHostKeepsTheContract(check: HostConformance.Check, store: Store) async throws {
        let directory = try TemporaryDirectory()
        let outcome = await Self.conformance(in: store == .file ? directory.path : nil).run(check)
        #expect(outcome == .passed, "\(check.name) on a \(store.rawValue) store")
    }

    @Test func everyCheckHasItsOwnName() {
        let names = HostConformance.checks.map(\.name)
        #expect(Set(names).count == names.count)
        // The e2e scenario prints them as `PASS 0d-host-NAME`.
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } })
    }

    /// Without a foreign domain the check that needs one skips, and says why.
    @Test func withoutAForeignDomainItsCheckSkips() async throws {
        var conformance = Self.conformance()
        conformance.foreignDomain = nil
        let check = try #require(HostConformance.checks.first { $0.name == "foreign-domain-not-owned" })
        guard case .skipped(let reason) = await conformance.run(check) else {
            Issue.record("did not skip")
            return
        }
        #expect(reason.contains("dispo did not make"))
    }

    /// A "foreign" domain that is dispo's own breaks the check: the suite notices what it is told wrongly.
    @Test func aForeignDomainThatIsOwnedFails() async throws {
        var conformance = Self.conformance()
        let base = conformance.makeHost
        conformance.makeHost = {
            let host = try await base()
            _ = try await host.create(Fixture.request("owned"))
            return host
        }
        conformance.foreignDomain = "owned"
        let check = try #require(HostConformance.checks.first { $0.name == "foreign-domain-not-owned" })
        guard case .failed(let reason) = await conformance.run(check) else {
            Issue.record("passed with an owned domain as the foreign one")
            return
        }
        #expect(reason.contains("owner=dispo"))
    }
}
