import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Logging

// Controller overhead of a preloaded hand-out through the socket: `POST /v1/disposables` minus a bare
// round trip (`GET /v1/ping`) on the same Unix socket, in one run. The daemon runs in this process on the
// simulated host in memory with zero unpause cost, so what is left is dispo's own work: HTTP parsing,
// the broker (target resolution, claim, unpause, metadata), JSON, and metrics. The refill delay (2 s) keeps
// the refill out of each batch of requests, as the default delay does for a burst.
//
// usage: HandoutLatency [--requests N] [--batch N]

var requests = 400
var batch = 40
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--requests": requests = arguments.popFirst().flatMap { Int($0) } ?? requests
    case "--batch": batch = arguments.popFirst().flatMap { Int($0) } ?? batch
    default: break
    }
}

let directory = NSTemporaryDirectory() + "dispo-handout-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
chmod(directory, 0o755)
defer { try? FileManager.default.removeItem(atPath: directory) }
let socket = directory + "/dispo.sock"
let yaml = """
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
var state = SimState(totalMemory: .mebibytes(256 * 1024), bootSeconds: 0.02, seed: 1)
state.costs = SimCosts(create: 0, start: 0, pause: 0, unpause: 0, destroy: 0)
state.bootGrowthMiB = 0
let host = SimHost(store: MemorySimStore(state), clock: SystemClock())
var options = ControllerOptions(resync: 3600)
options.reconcile.parallel = 16
let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let controller = Controller(host: host, options: options, logger: logger,
    loadConfig: { ConfigLoader(strictModes: false).load(sources: [("c.yaml", Array(yaml.utf8))]) })
let runner = Task { await controller.run() }
let server = Task { try await APIServer(path: socket, group: nil, controller: controller, logger: logger).run() }

func ready() async -> Int { (try? await controller.status().templates.first?.preload.ready) ?? 0 }
func waitFull() async throws {
    let deadline = Date().addingTimeInterval(60)
    while await ready() < batch, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
}
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

while !(await APIClient.isServing(socket)) { try await Task.sleep(for: .milliseconds(20)) }
let clock = ContinuousClock()
var posts: [Double] = []
var pings: [Double] = []
var cold = 0
while posts.count < requests {
    try await waitFull()
    for _ in 0..<batch where posts.count < requests {
        var start = clock.now
        _ = try await APIClient.send("GET", "/v1/ping", socket: socket)
        pings.append(milliseconds(clock.now - start))
        start = clock.now
        let handout = try await APIClient.request(target: "default-dvm", source: nil, socket: socket)
        let elapsed = milliseconds(clock.now - start)
        if handout.preloaded { posts.append(elapsed) } else { cold += 1 }
    }
}
await controller.stop()
server.cancel()
_ = await runner.value

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
func f(_ value: Double) -> String { String(format: "%.3f", value) }
let overhead50 = percentile(posts, 0.5) - percentile(pings, 0.5)
let overhead99 = percentile(posts, 0.99) - percentile(pings, 0.99)
print("hand-out through the socket: \(posts.count) preloaded requests (\(cold) went cold and are not counted)")
print("  POST /v1/disposables  p50 \(f(percentile(posts, 0.5))) ms  p99 \(f(percentile(posts, 0.99))) ms")
print("  GET /v1/ping          p50 \(f(percentile(pings, 0.5))) ms  p99 \(f(percentile(pings, 0.99))) ms")
print("  controller overhead   p50 \(f(overhead50)) ms  p99 \(f(overhead99)) ms  (goal: p99 < 1 ms)")
