import Foundation
import LoadBench

// Times dispo's load+validate and libyaml's raw event scan of the same files with
// ContinuousClock, alternating the two, and prints the medians (and JSON with --json PATH).
//
// usage: LoadTimer [--iterations N] [--json PATH] [--only dispo|raw]   (directory: $DISPO_BENCH_CONFIG)
// --only runs just one of the two (for a profiler), then prints no comparison.

var iterations = 20
var jsonPath: String?
var only: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--iterations": iterations = arguments.popFirst().flatMap { Int($0) } ?? iterations
    case "--json": jsonPath = arguments.popFirst()
    case "--only" where ["dispo", "raw"].contains(arguments.first): only = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("usage: LoadTimer [--iterations N] [--json PATH] [--only dispo|raw]\n".utf8))
        exit(2)
    }
}

let fixture = LoadFixture.prepare()
let clock = ContinuousClock()

func dispo() {
    let result = LoadFixture.loader.load(directory: fixture.directory)
    precondition(result.isValid && result.state.count == fixture.objects)
}

func raw() {
    do {
        let events = try RawScan.scan(fixture.files)
        precondition(events > 0)
    } catch {
        FileHandle.standardError.write(Data("raw scan failed: \(error)\n".utf8))
        exit(1)
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

if let only {
    let body = only == "dispo" ? dispo : raw
    let times = (0..<iterations).map { _ in milliseconds(clock.measure(body)) }
    print("\(only) only: " + String(format: "median %.2f ms over %d iterations", median(times), iterations))
    exit(0)
}

for _ in 0..<2 {  // warm-up: page cache, allocator, lazy runtime metadata
    dispo()
    raw()
}
var dispoTimes: [Double] = []
var rawTimes: [Double] = []
for _ in 0..<iterations {
    dispoTimes.append(milliseconds(clock.measure(dispo)))
    rawTimes.append(milliseconds(clock.measure(raw)))
}

let summary: [String: Any] = [
    "directory": fixture.directory,
    "files": fixture.files.count,
    "objects": fixture.objects,
    "bytes": fixture.bytes,
    "iterations": iterations,
    "dispo_ms": dispoTimes,
    "raw_ms": rawTimes,
    "dispo_median_ms": median(dispoTimes),
    "raw_median_ms": median(rawTimes),
]
print(String(format: "%d objects, %d files, %d bytes; %d iterations each", fixture.objects, fixture.files.count,
             fixture.bytes, iterations))
print(String(format: "dispo load+validate     median %8.2f ms  min %8.2f ms", median(dispoTimes), dispoTimes.min()!))
print(String(format: "libyaml raw event scan  median %8.2f ms  min %8.2f ms", median(rawTimes), rawTimes.min()!))
if let jsonPath {
    let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: jsonPath))
}
