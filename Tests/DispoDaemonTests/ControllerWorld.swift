import DispoTestKit
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Logging
import Synchronization
import Testing

/// A controller on a simulated host in manual virtual time, with a config the test edits in memory.
final class ControllerWorld: Sendable {
    let clock: ManualClock
    let store: MemorySimStore
    let host: any DispoHost.Host
    let admin: SimAdmin
    let config: MemorySource
    let controller: Controller
    private let runTask = Mutex<Task<Void, Never>?>(nil)
    private let firstLoadPending = Mutex(false)

    /// - Parameter sharing: another world whose host state and clock this one takes over (a restart).
    init(
        _ yaml: String, boot: Double = 2, host wrap: ((SimHost) -> any DispoHost.Host)? = nil, seed: UInt64 = 1,
        sharing other: ControllerWorld? = nil, notifier: ServiceNotifier = .disabled, watchdog: Watchdog? = nil
    ) {
        clock = other?.clock ?? ManualClock()
        store = other?.store ?? MemorySimStore(SimState(bootSeconds: boot, seed: seed))
        let simHost = SimHost(store: store, clock: clock)
        host = wrap?(simHost) ?? simHost
        admin = SimAdmin(store: store, clock: clock)
        let config = MemorySource(yaml)
        self.config = config
        controller = Controller(
            host: host, clock: clock, random: SeededRandomSource(seed: seed),
            options: ControllerOptions(resync: 30, drainTimeout: 30, watchdog: watchdog),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), source: config,
            notifier: notifier)
    }

    func start() {
        let controller = self.controller
        runTask.withLock { $0 = Task { await controller.run() } }
        firstLoadPending.withLock { $0 = true }
    }

    /// After ``start()``, waits (in real time, up to 10 s, no virtual time passing) until the controller put its
    /// first load in force or found it invalid: the load runs off the controller's actor, and on a busy machine
    /// that hop must not cost the first pass the virtual seconds a test gives it.
    private func awaitFirstLoad() async {
        guard firstLoadPending.withLock({ $0 }) else { return }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let loaded = await controller.desired != nil
            let refused = await !controller.configErrors.isEmpty
            if loaded || refused { break }
            try? await Task.sleep(for: .milliseconds(1))
        }
        firstLoadPending.withLock { $0 = false }
    }

    /// Edits the config; the source cues the controller, as the file watcher would.
    func edit(_ yaml: String) {
        config.edit(yaml)
    }

    /// Lets tasks run, then moves virtual time to the next deadline, until `condition` holds or
    /// `seconds` of virtual time pass. Returns whether the condition held.
    @discardableResult
    func settle(seconds: Double = 120, until condition: () async throws -> Bool) async rethrows -> Bool {
        await awaitFirstLoad()
        let end = clock.now() + seconds
        while clock.now() <= end {
            await quiesce()
            if try await condition() { return true }
            let next = clock.nextDeadline ?? clock.now() + 0.1
            clock.advance(by: max(0.001, min(next, end + 0.001) - clock.now()))
        }
        return try await condition()
    }

    /// Waits (in real time, at most 2 s) until the controller's tasks look idle: the number of sleepers on the clock
    /// and the controller's jobs stay the same for 5 ms, so that virtual time does not run ahead of work a loaded
    /// machine is still doing.
    private func quiesce() async {
        var last = (-1, -1)
        var stable = 0
        for _ in 0..<400 where stable < 5 {
            try? await Task.sleep(for: .milliseconds(1))
            let now = (clock.sleeperCount, await controller.reconciler.inFlightCount)
            stable = now == last ? stable + 1 : 0
            last = now
        }
    }

    /// Lets virtual time pass (stepping through deadlines).
    func pass(_ seconds: Double) async {
        await settle(seconds: seconds) { false }
    }

    func stop() async {
        await controller.stop()
        let task = runTask.withLock { $0 }
        for _ in 0..<200 {
            clock.advance(by: 1)
            try? await Task.sleep(for: .milliseconds(1))
        }
        await task?.value
    }

    var snapshot: HostSnapshot {
        get async throws { try await host.snapshot() }
    }

    /// Names of complete paused preloads of a template.
    func queue(_ template: String) async throws -> [String] {
        try await snapshot.domains.filter {
            $0.metadata[MetadataKey.role] == "preload" && $0.metadata[MetadataKey.template] == template
                && $0.metadata[MetadataKey.stage] == "paused" && $0.power == .paused
        }.map(\.name)
    }
}

let baseConfig = """
    apiVersion: dispo/v1
    kind: Template
    name: debian-12
    kernel: /boot/vmlinuz
    revision: "1"
    ---
    apiVersion: dispo/v1
    kind: DisposableTemplate
    name: default-dvm
    template: debian-12
    ready: { xenstore: data/ready, timeout: 10s }
    preload: { max: 2, delay: DELAY }

    """

func config(max: Int = 2, delay: String = "3s") -> String {
    baseConfig.replacingOccurrences(of: "max: 2", with: "max: \(max)").replacingOccurrences(of: "DELAY", with: delay)
}

/// Owned domains left half-made (creating, starting or requested).
func halfMade(_ snapshot: HostSnapshot) -> [String] {
    snapshot.domains.filter { domain in
        guard domain.isOwned, let stage = domain.metadata[MetadataKey.stage] else { return false }
        return stage == "creating" || stage == "starting" || stage == "requested"
    }.map(\.name)
}
