import Benchmark
import LoadBench

// Loading a generated config of 10,000 objects in 100 files ($DISPO_BENCH_CONFIG, else generated
// by load/generate.py), against libyaml's raw event scan of the same files.
let benchmarks: @Sendable () -> Void = {
    let fixture = LoadFixture.prepare()

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 2,
        maxDuration: .seconds(8),
        maxIterations: 40
    )

    Benchmark("dispo load+validate") { benchmark in
        for _ in benchmark.scaledIterations {
            let result = LoadFixture.loader.load(directory: fixture.directory)
            precondition(result.isValid && result.state.count == fixture.objects)
            blackHole(result)
        }
    }

    Benchmark("libyaml raw event scan") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try RawScan.scan(fixture.files))
        }
    }
}
