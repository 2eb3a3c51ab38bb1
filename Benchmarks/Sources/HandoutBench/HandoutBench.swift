import DispoConfig
public import DispoDaemon
import DispoHost
public import DispoSim
import Foundation

/// What the hand-out benchmarks share: a config whose `default-dvm` keeps `batch` preloads (refill delay 2 s, which
/// keeps the refill out of a batch of requests), a simulated host in memory where nothing costs time, and the
/// figures. Reads the controller's status only, so it serves controllers from before the config-source seam too.
public enum HandoutBench {
    public static func config(batch: Int) -> String {
        """
        apiVersion: dispo/v1
        kind: Template
        name: base
        kernel: /boot/vmlinuz
        revision: "1"
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: default-dvm
        template: base
        memory: 100MiB
        maxmem: 100MiB
        preload: { max: \(batch), delay: 2s }
        ---
        apiVersion: dispo/v1
        kind: System
        default_dispvm: default-dvm

        """
    }

    /// `--requests N` and `--batch N` from the command line, else the defaults.
    public static func arguments(requests: Int, batch: Int) -> (requests: Int, batch: Int) {
        var (requests, batch) = (requests, batch)
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--requests": requests = arguments.popFirst().flatMap { Int($0) } ?? requests
            case "--batch": batch = arguments.popFirst().flatMap { Int($0) } ?? batch
            default: break
            }
        }
        return (requests, batch)
    }

    /// Plenty of memory, boots of 20 ms, no cost for create, start, pause, unpause or destroy.
    public static func host() -> SimHost {
        var state = SimState(totalMemory: .mebibytes(256 * 1024), bootSeconds: 0.02, seed: 1)
        state.costs = SimCosts(create: 0, start: 0, pause: 0, unpause: 0, destroy: 0)
        state.bootGrowthMiB = 0
        return SimHost(store: MemorySimStore(state), clock: SystemClock())
    }

    /// No resync during a run; 16 preloads made at once.
    public static var options: ControllerOptions {
        var options = ControllerOptions(resync: 3600)
        options.reconcile.parallel = 16
        return options
    }

    /// Waits (up to `limit`) until `batch` preloads are ready.
    public static func waitFull(_ controller: Controller, batch: Int, limit: TimeInterval = 60) async throws {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            let ready = (try? await controller.status().templates.first?.preload.ready) ?? 0
            if ready >= batch { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// The `p` quantile (0...1) of `values`, 0 when there are none.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// Milliseconds with three decimals.
    public static func format(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}
