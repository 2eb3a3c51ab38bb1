import BenchSources
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Logging
import Synchronization

// Qubes' own disposable perf workload (core-admin tests/dispvm_perf.py) on the simulated host with
// Qubes-like timings: boot to ready 6 s, pause and unpause 8 ms each, 12 sequential calls, preload max 4,
// delay 3 s. Each call requests a disposable through the controller, "runs a service" (instant) and
// releases it, as `qvm-run --dispvm` does. Time is virtual (a manual clock stepped from deadline to
// deadline), so the figures are the simulated seconds, free of this machine's noise.
//
// usage: QubesWorkload [--calls N] [--max N] [--delay SECONDS] [--boot SECONDS]

var calls = 12
var boot = 6.0
var delay = 3.0
var maxes = [4, 0]
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--calls": calls = arguments.popFirst().flatMap { Int($0) } ?? calls
    case "--boot": boot = arguments.popFirst().flatMap { Double($0) } ?? boot
    case "--delay": delay = arguments.popFirst().flatMap { Double($0) } ?? delay
    case "--max": maxes = [arguments.popFirst().flatMap { Int($0) } ?? 4, 0]
    default: break
    }
}

struct Settings: Sendable {
    var calls: Int
    var boot: Double
    var delay: Double
}

let settings = Settings(calls: calls, boot: boot, delay: delay)

func config(max: Int, delay: Double) -> String {
    """
    apiVersion: dispo/v1
    kind: Template
    name: fedora-42-xfce
    kernel: /boot/vmlinuz
    revision: "1"
    ---
    apiVersion: dispo/v1
    kind: DisposableTemplate
    name: default-dvm
    template: fedora-42-xfce
    memory: 400MiB
    maxmem: 4000MiB
    vcpus: 2
    ready: { xenstore: data/ready, timeout: 60s }
    preload: { max: \(max), delay: \(delay) }
    ---
    apiVersion: dispo/v1
    kind: System
    default_dispvm: default-dvm

    """
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Lets tasks run, then moves the manual clock to the next deadline, until `done`.
func drive(_ clock: ManualClock, until done: () -> Bool) async {
    while !done() {
        for _ in 0..<3 { try? await Task.sleep(for: .microseconds(200)) }
        if done() { return }
        clock.advance(by: max(0.0005, (clock.nextDeadline ?? clock.now() + 0.001) - clock.now()))
    }
}

struct Result {
    var request: [Double] = []
    var total: [Double] = []
    var preloaded = 0
}

func run(max: Int, settings: Settings) async throws -> Result {
    let clock = ManualClock()
    var state = SimState(totalMemory: .mebibytes(32 * 1024), bootSeconds: settings.boot, seed: 1)
    state.costs = SimCosts(create: 0.3, start: 0, pause: 0.008, unpause: 0.008, destroy: 0.5)
    let host = SimHost(store: MemorySimStore(state), clock: clock)
    let text = config(max: max, delay: settings.delay)
    let controller = Controller(
        host: host, clock: clock, random: SeededRandomSource(seed: 7), options: ControllerOptions(resync: 30),
        logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }, source: TextSource(text))
    let runner = Task { await controller.run() }
    // Let the queue fill before the first call, as Qubes' test does.
    let filledBy = clock.now() + 60
    await drive(clock) { clock.now() > filledBy }
    var result = Result()
    for _ in 0..<settings.calls {
        let start = clock.now()
        let done = Flag()
        let request = Task { () async throws -> Handout in
            defer { done.set() }
            return try await controller.request(target: "@dispvm", source: nil)
        }
        await drive(clock) { done.isSet }
        let handout = try await request.value
        let handedOut = clock.now()
        if handout.preloaded { result.preloaded += 1 }
        let released = Flag()
        let release = Task { () async throws in
            defer { released.set() }
            try await controller.release(handout.name)
        }
        await drive(clock) { released.isSet }
        try await release.value
        result.request.append(handedOut - start)
        result.total.append(clock.now() - start)
    }
    await controller.stop()
    let stopped = Flag()
    Task { await runner.value; stopped.set() }
    await drive(clock) { stopped.isSet }
    return result
}

func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
func s(_ value: Double) -> String { String(format: "%.3f", value) }

print("Qubes perf workload on the sim: \(calls) sequential calls, boot \(boot) s, pause/unpause 8 ms, delay \(delay) s")
var means: [Int: Double] = [:]
for max in maxes {
    let result = try await run(max: max, settings: settings)
    means[max] = mean(result.total)
    print("  preload max \(max): mean \(s(mean(result.total))) s per call (request \(s(mean(result.request))) s"
        + " + release), \(result.preloaded)/\(calls) preloaded")
    print("    per call: " + result.request.map { s($0) }.joined(separator: " "))
}
if let with = means[maxes[0]], let without = means[0], with > 0 {
    print("  speed-up: \(String(format: "%.1f", without / with))x (Qubes on hardware: 6.5 s -> 2.3 s, 2.8x)")
}
