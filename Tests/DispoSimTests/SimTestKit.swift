import DispoConfig
import DispoHost
import Synchronization

@testable import DispoSim

/// Requests, specs and hosts for the sim tests.
enum Fixture {
    static let template = Template(
        name: "debian-12", kernel: "/var/lib/dispo/debian-12/vmlinuz",
        disks: [Template.Disk(target: "xvda", source: "/var/lib/dispo/debian-12/root.img")], volatile: .mebibytes(2048))

    static func spec(memory: UInt64 = 400, maxmem: UInt64 = 4000) -> EffectiveSpec {
        EffectiveSpec(
            disposableTemplate: "default-dvm", template: template,
            settings: DisposableSettings(
                memory: .mebibytes(memory), maxmem: .mebibytes(maxmem), netvm: .domain("sys-firewall")))
    }

    /// A request for a dispo-owned preload.
    static func request(_ name: String, memory: UInt64 = 400, maxmem: UInt64 = 4000) -> CreateRequest {
        CreateRequest(
            name: name, spec: spec(memory: memory, maxmem: maxmem),
            metadata: [
                MetadataKey.owner: MetadataKey.ownerValue, MetadataKey.role: Role.preload.rawValue,
                MetadataKey.template: "default-dvm", MetadataKey.stage: Stage.creating.rawValue,
            ])
    }

    /// A host in memory on a virtual clock.
    static func host(_ state: SimState = SimState(), clock: any HostClock = VirtualClock()) -> SimHost {
        SimHost(store: MemorySimStore(state), clock: clock)
    }

    static func mebibytes(_ size: Size) -> Double { Double(size.kibibytes) / 1024 }
}

extension SimHost {
    /// Creates and starts `name` (a dispo-owned domain).
    func started(_ name: String, memory: UInt64 = 400, maxmem: UInt64 = 4000) async throws {
        _ = try await create(Fixture.request(name, memory: memory, maxmem: maxmem))
        try await unpause(name)
    }

    func domain(_ name: String) async throws -> Domain? {
        try await snapshot().domain(named: name)
    }
}

/// A clock whose sleepers wait until the test moves time past their deadline, so a test can act while an
/// operation sleeps (crash a domain during ``SimHost/waitReady(_:readiness:timeout:)``, step ``SimHost/events()``).
final class ManualClock: HostClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Double
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    init(start: Double = 1_800_000_000) {
        state = Mutex(State(now: start))
    }

    func now() -> Double { state.withLock { $0.now } }

    func sleep(until deadline: Double) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case due, cancelled, waiting }
                let outcome = state.withLock { state -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= state.now { return .due }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .waiting
                }
                switch outcome {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many are sleeping now.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks sleep on this clock.
    func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    func advance(by seconds: Double) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += seconds
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
