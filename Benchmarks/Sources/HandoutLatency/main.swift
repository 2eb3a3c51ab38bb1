import BenchSources
import DispoDaemon
import DispoEngine
import Foundation
import HandoutBench
import Logging

// Controller overhead of a preloaded hand-out through the socket: `POST /v1/disposables` minus a bare
// round trip (`GET /v1/ping`) on the same Unix socket, in one run. The daemon runs in this process on the
// simulated host in memory with zero unpause cost, so what is left is dispo's own work: HTTP parsing,
// the broker (target resolution, claim, unpause, metadata), JSON, and metrics. The refill delay (2 s) keeps
// the refill out of each batch of requests, as the default delay does for a burst.
//
// usage: HandoutLatency [--requests N] [--batch N]

let (requests, batch) = HandoutBench.arguments(requests: 400, batch: 40)

let directory = NSTemporaryDirectory() + "dispo-handout-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
chmod(directory, 0o755)
defer { try? FileManager.default.removeItem(atPath: directory) }
let socket = directory + "/dispo.sock"
let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let controller = Controller(
    host: HandoutBench.host(), options: HandoutBench.options, logger: logger,
    source: TextSource(HandoutBench.config(batch: batch)))
let runner = Task { await controller.run() }
let api = APIServer(path: socket, group: nil, controller: controller, config: directory, logger: logger)
let server = Task { try await api.run() }

let milliseconds = HandoutBench.milliseconds

while !(await APIClient.isServing(socket)) { try await Task.sleep(for: .milliseconds(20)) }
let clock = ContinuousClock()
var posts: [Double] = []
var pings: [Double] = []
var cold = 0
while posts.count < requests {
    try await HandoutBench.waitFull(controller, batch: batch)
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

let percentile = HandoutBench.percentile
let f = HandoutBench.format
let overhead50 = percentile(posts, 0.5) - percentile(pings, 0.5)
let overhead99 = percentile(posts, 0.99) - percentile(pings, 0.99)
print("hand-out through the socket: \(posts.count) preloaded requests (\(cold) went cold and are not counted)")
print("  POST /v1/disposables  p50 \(f(percentile(posts, 0.5))) ms  p99 \(f(percentile(posts, 0.99))) ms")
print("  GET /v1/ping          p50 \(f(percentile(pings, 0.5))) ms  p99 \(f(percentile(pings, 0.99))) ms")
print("  controller overhead   p50 \(f(overhead50)) ms  p99 \(f(overhead99)) ms  (goal: p99 < 1 ms)")
