// swift-tools-version:6.1

// Benchmarks for dispo, kept in their own package so that normal builds and CI do not
// build ordo-one/benchmark. Run them with `make bench-load` (Benchmarks/load/run.sh).

import PackageDescription

// `DISPO_RELOAD_BEFORE=1` builds HandoutReload for the controller from before the config-source seam (its
// `loadConfig` closure ran on the controller's actor); `Benchmarks/reload/run.sh` does so in a copy of that commit.
let reloadBefore = Context.environment["DISPO_RELOAD_BEFORE"] == "1"

let package = Package(
    name: "dispo-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so that the product reference does not depend on the checkout's folder name.
        .package(name: "dispo", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The system libyaml again (the parent's CYAML is not a product), for the raw event scan.
        .systemLibrary(
            name: "CYAMLBench", path: "Sources/CYAMLBench", pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]),

        // The workload shared by both executables: the generated config and the raw scan.
        .target(
            name: "LoadBench",
            dependencies: [.product(name: "DispoConfig", package: "dispo"), "CYAMLBench"],
            path: "Sources/LoadBench"),

        // ordo-one/benchmark suite: detailed figures (wall clock, CPU, mallocs).
        .executableTarget(
            name: "LoadConfig",
            dependencies: ["LoadBench", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/LoadConfig",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

        // Plain ContinuousClock timer whose medians feed run.sh's summary.
        .executableTarget(name: "LoadTimer", dependencies: ["LoadBench"], path: "Sources/LoadTimer"),

        // The planner's cost for 100, 1,000 and 10,000 declared objects against a host of matching size.
        .executableTarget(
            name: "PlanTimer",
            dependencies: [
                .product(name: "DispoEngine", package: "dispo"), .product(name: "DispoConfig", package: "dispo"),
            ],
            path: "Sources/PlanTimer"),

        // A config given as YAML text, as a ConfigSource for the benchmarks' controllers.
        .target(
            name: "BenchSources",
            dependencies: [
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "DispoConfig", package: "dispo"),
                .product(name: "DispoEngine", package: "dispo"),
            ],
            path: "Sources/BenchSources"),

        // What the hand-out benchmarks share: the config, the zero-cost simulated host, percentiles.
        .target(
            name: "HandoutBench",
            dependencies: [
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "DispoSim", package: "dispo"),
                .product(name: "DispoConfig", package: "dispo"),
            ],
            path: "Sources/HandoutBench"),

        // Latency from a config file's rename to the start of the controller's reconcile pass.
        .executableTarget(
            name: "WatchLatency",
            dependencies: [
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "DispoSim", package: "dispo"),
                .product(name: "DispoConfig", package: "dispo"), .product(name: "DispoEngine", package: "dispo"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/WatchLatency"),

        // Qubes' perf workload (12 sequential calls, max 4, delay 3 s) on the simulated host, with and without preload.
        .executableTarget(
            name: "QubesWorkload",
            dependencies: [
                "BenchSources",
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "DispoSim", package: "dispo"),
                .product(name: "DispoEngine", package: "dispo"), .product(name: "DispoConfig", package: "dispo"),
                .product(name: "DispoTestKit", package: "dispo"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/QubesWorkload"),

        // Controller overhead of a preloaded hand-out through the socket (POST minus a bare round trip).
        .executableTarget(
            name: "HandoutLatency",
            dependencies: [
                "BenchSources", "HandoutBench",
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/HandoutLatency"),

        // A preloaded hand-out through the controller while it reloads a 10,000-object config, and without reloads.
        .executableTarget(
            name: "HandoutReload",
            dependencies: [
                "LoadBench", "HandoutBench",
                .product(name: "DispoDaemon", package: "dispo"), .product(name: "DispoConfig", package: "dispo"),
                .product(name: "DispoEngine", package: "dispo"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/HandoutReload",
            swiftSettings: reloadBefore ? [.define("RELOAD_ON_ACTOR")] : []),
    ]
)
