import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Logging
import Synchronization

// Latency from a config file's rename over (the way editors and git write) to the start of the
// controller's reconcile pass (the moment it reloads the config), over N edits, with the real inotify
// watcher and the real controller on an in-memory simulated host.
//
// usage: WatchLatency [--edits N] [--debounce-ms D]

var edits = 100
var debounceMs = 200
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--edits": edits = arguments.popFirst().flatMap { Int($0) } ?? edits
    case "--debounce-ms": debounceMs = arguments.popFirst().flatMap { Int($0) } ?? debounceMs
    default: break
    }
}

let directory = NSTemporaryDirectory() + "dispo-watch-latency-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
chmod(directory, 0o755)
defer { try? FileManager.default.removeItem(atPath: directory) }

func config(_ revision: Int) -> String {
    """
    apiVersion: dispo/v1
    kind: Template
    name: debian-12
    kernel: /boot/vmlinuz
    revision: "r\(revision % 2)"
    ---
    apiVersion: dispo/v1
    kind: DisposableTemplate
    name: default-dvm
    template: debian-12
    preload: { max: 0 }

    """
}

let path = directory + "/dispo.yaml"
try Data(config(0).utf8).write(to: URL(fileURLWithPath: path))

/// Times at which the controller started a pass by reloading the config.
let reloads = Mutex<[ContinuousClock.Instant]>([])
let clock = ContinuousClock()

/// The directory source, noting when each load begins.
struct NotingSource: ConfigSource {
    let directory: DirectorySource

    func load() async -> ConfigLoad {
        reloads.withLock { $0.append(clock.now) }
        return await directory.load()
    }

    func changes() -> AsyncStream<ConfigCue> { directory.changes() }
    func status() async -> SourceStatus? { nil }
}

let host = SimHost(store: MemorySimStore(), clock: SystemClock())
let source = DirectorySource(
    directory: directory, loader: ConfigLoader(strictModes: false), debounce: .milliseconds(debounceMs))
let controller = Controller(
    host: host, options: ControllerOptions(resync: 3600), logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() },
    source: NotingSource(directory: source))
let runner = Task { await controller.run() }
try await Task.sleep(for: .milliseconds(500))

var latencies: [Double] = []
for index in 1...edits {
    let before = reloads.withLock { $0.count }
    let temp = directory + "/.dispo.yaml.tmp"
    try Data(config(index).utf8).write(to: URL(fileURLWithPath: temp))
    let start = clock.now
    rename(temp, path)
    while reloads.withLock({ $0.count }) == before, clock.now - start < .seconds(5) {
        try await Task.sleep(for: .milliseconds(1))
    }
    guard let reloadAt = reloads.withLock({ $0.last }), reloads.withLock({ $0.count }) > before else {
        print("edit \(index): no reload within 5 s")
        continue
    }
    let elapsed = reloadAt - start
    latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
    try await Task.sleep(for: .milliseconds(50))
}
await controller.stop()
_ = await runner.value

let sorted = latencies.sorted()
func percentile(_ values: [Double], _ p: Double) -> Double {
    values.isEmpty ? 0 : values[min(values.count - 1, Int(Double(values.count) * p))]
}
func ms(_ value: Double) -> String { String(format: "%.1f", value) }
print("rename -> start of the reconcile pass, \(sorted.count) edits, debounce \(debounceMs) ms")
print("  p50 \(ms(percentile(sorted, 0.5))) ms  p90 \(ms(percentile(sorted, 0.9))) ms  p99 \(ms(percentile(sorted, 0.99))) ms  max \(ms(sorted.last ?? 0)) ms")
let overhead = sorted.map { $0 - Double(debounceMs) }
print("  beyond the debounce: p50 \(ms(percentile(overhead, 0.5))) ms  p99 \(ms(percentile(overhead, 0.99))) ms  max \(ms(overhead.last ?? 0)) ms")
