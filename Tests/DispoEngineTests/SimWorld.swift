import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import Synchronization
import Testing

/// A simulated host in memory and in virtual time, with a reconciler factory and an action log.
struct SimWorld {
    let clock = VirtualClock()
    let store: MemorySimStore
    let host: SimHost
    let admin: SimAdmin
    let log = EventLog()

    init(memory: Size = .mebibytes(16 * 1024), boot: Double = 2) {
        store = MemorySimStore(SimState(totalMemory: memory, bootSeconds: boot, seed: 7))
        host = SimHost(store: store, clock: clock)
        admin = SimAdmin(store: store, clock: clock)
    }

    func reconciler(_ options: ReconcileOptions = .init(), seed: UInt64 = 1) -> Reconciler {
        let log = self.log
        return Reconciler(host: host, clock: clock, random: SeededRandomSource(seed: seed), options: options,
            onEvent: { log.append($0) })
    }

    func snapshot() async throws -> HostSnapshot { try await host.snapshot() }

    /// The plan a fresh reconciler would make now.
    func plan(_ desired: DesiredState, options: PlanOptions = .init()) async throws -> Plan {
        try await reconciler(ReconcileOptions(plan: options)).plan(desired)
    }
}

/// Collects reconciler events from concurrent tasks.
final class EventLog: Sendable {
    private let events = Mutex<[ReconcileEvent]>([])

    func append(_ event: ReconcileEvent) { events.withLock { $0.append(event) } }

    var all: [ReconcileEvent] { events.withLock { $0 } }

    /// Creation attempts of preloads for a template.
    func createAttempts(_ template: String) -> Int {
        all.count {
            if case .started(let action, _) = $0 { return action.op == .create && action.template == template }
            return false
        }
    }

    var failures: Int {
        all.count {
            if case .failed = $0 { return true }
            return false
        }
    }
}

func desiredState(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> DesiredState {
    let result = ConfigLoader(strictModes: false).load(sources: [("w.yaml", Array(yaml.utf8))])
    #expect(result.isValid, "\(result.diagnostics.map(\.description))", sourceLocation: sourceLocation)
    return result.state
}

/// Owned domains left in a stage other than a finished one (a half-made domain).
func halfMade(_ snapshot: HostSnapshot) -> [String] {
    snapshot.domains.filter { domain in
        guard domain.isOwned, let stage = Stage(rawValue: domain.metadata[MetadataKey.stage] ?? "") else { return false }
        return stage == .creating || stage == .starting || stage == .requested
    }.map(\.name)
}
