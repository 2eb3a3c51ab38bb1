// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "dispo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dispo", targets: ["dispo"]),
        .library(name: "DispoConfig", targets: ["DispoConfig"]),
        .library(name: "DispoEngine", targets: ["DispoEngine"]),
        .library(name: "DispoSim", targets: ["DispoSim"]),
        .library(name: "DispoDaemon", targets: ["DispoDaemon"]),
        .library(name: "DispoWatch", targets: ["DispoWatch"]),
        .library(name: "DispoXen", targets: ["DispoXen"]),
        .library(name: "DispoGit", targets: ["DispoGit"]),
        .library(name: "DispoQubes", targets: ["DispoQubes"]),
        .library(name: "DispoQubesDaemon", targets: ["DispoQubesDaemon"]),
        // Test clocks and helpers, for the benchmarks package (never linked into dispo).
        .library(name: "DispoTestKit", targets: ["DispoTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing", from: "1.19.7"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // System libraries (Debian packages; `make test` installs them when missing).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),
        // libxenlight, libxenstore, libxentoollog (and libyajl for libxl's JSON generator).
        .systemLibrary(name: "CXenLight", pkgConfig: "xenlight", providers: [.apt(["libxen-dev", "libyajl-dev"])]),

        // The git commit of the build, from a header `make` generates outside git ("unknown" without it).
        .target(name: "CBuildInfo"),

        // YAML nodes with line/column marks, on libyaml's event API.
        .target(name: "DispoYAML", dependencies: ["CYAML"]),
        // The desired-state model: kinds, values, strict decoding, directory loading, validation.
        .target(name: "DispoConfig", dependencies: ["DispoYAML"]),
        // The seam between the engine and a hypervisor: domains, metadata, events, clocks.
        .target(name: "DispoHost", dependencies: ["DispoConfig"]),
        // The simulated Xen host in a JSON state file (`--host sim:PATH`, `dispo sim`).
        .target(name: "DispoSim", dependencies: ["DispoHost", "DispoConfig"]),
        // The engine: the pure planner, the executor and the reconcile loop.
        .target(name: "DispoEngine", dependencies: ["DispoConfig", "DispoHost"]),
        // The controller daemon: reconcile loop, config sources (the watched directory), services, socket API,
        // metrics, logging.
        .target(
            name: "DispoDaemon",
            dependencies: [
                "DispoConfig", "DispoHost", "DispoEngine", "DispoWatch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The real Xen backend (`--host xen`): libxenlight and xenstore on a dedicated thread.
        .target(name: "DispoXen", dependencies: ["CXenLight", "DispoHost", "DispoConfig"]),
        // The Qubes OS backend (`--host qubes`): qubesd's Admin API client and the Qubes reconcile path.
        .target(name: "DispoQubes", dependencies: ["DispoConfig", "DispoEngine"]),
        // The Qubes controller (`dispo watch --host qubes`): the Qubes reconcile path in a loop, woken by config cues,
        // qubesd's events and a resync, behind the daemon's socket API.
        .target(
            name: "DispoQubesDaemon",
            dependencies: [
                "DispoConfig", "DispoEngine", "DispoDaemon", "DispoQubes",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The git source: a repository mirrored with Debian's git, verified commits read from its object database.
        .target(
            name: "DispoGit",
            dependencies: [
                "DispoConfig", "DispoDaemon", "DispoEngine",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The config directory watcher: libinotifytools on a dedicated thread, debounced ticks as an AsyncStream.
        .target(name: "DispoWatch", dependencies: ["CInotifyTools"]),
        // The command-line interface (library so tests can reach the commands).
        .target(
            name: "DispoCommands",
            dependencies: [
                "DispoConfig",
                "DispoEngine",
                "DispoSim",
                "DispoDaemon",
                "DispoGit",
                "DispoWatch",
                "DispoXen",
                "DispoQubes",
                "DispoQubesDaemon",
                "CBuildInfo",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "dispo",
            dependencies: ["DispoCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Helpers shared by the test targets: running the built binary, temp dirs, a seeded generator, and the
        // `HostConformance` suite every backend passes.
        .target(name: "DispoTestKit", dependencies: ["DispoHost", "DispoConfig"], path: "Tests/DispoTestKit"),
        // The conformance suite against this dom0's Xen, outside `swift test`: a step of `make e2e`.
        .executableTarget(
            name: "dispo-conformance",
            dependencies: [
                "DispoTestKit", "DispoXen", "DispoConfig", "DispoHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/DispoConformance"
        ),
        // Fuzz targets (bytes in, never a crash): `make fuzz` builds dispo-fuzz with libFuzzer; FuzzCorpusTests replay
        // the kept corpus in `swift test`.
        .target(
            name: "DispoFuzzTargets",
            dependencies: [
                "DispoConfig", "DispoDaemon", "DispoHost", "DispoSim",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ],
            path: "Fuzz/Targets"
        ),
        .executableTarget(name: "dispo-fuzz", dependencies: ["DispoFuzzTargets"], path: "Fuzz/Driver"),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["DispoFuzzTargets"]),
        .testTarget(name: "DispoYAMLTests", dependencies: ["DispoYAML"]),
        // The Admin API client and the Qubes planner on recorded transcripts, and (with DISPO_QUBESD_TESTS=1, as
        // `make test-qubes` runs them) the scenarios against the real qubesd of Tests/qubesd.
        .testTarget(
            name: "DispoQubesTests",
            dependencies: [
                "DispoQubes", "DispoQubesDaemon", "DispoDaemon", "DispoConfig", "DispoEngine", "DispoTestKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "DispoWatchTests", dependencies: ["DispoWatch", "DispoTestKit"]),
        .testTarget(name: "DispoSimTests", dependencies: ["DispoSim", "DispoTestKit"]),
        .testTarget(name: "DispoXenTests", dependencies: ["DispoXen", "CXenLight", "DispoTestKit"]),
        .testTarget(
            name: "DispoGitTests",
            dependencies: [
                "DispoGit", "DispoConfig", "DispoDaemon", "DispoEngine", "DispoTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(
            name: "DispoDaemonTests",
            dependencies: [
                "DispoDaemon", "DispoSim", "DispoTestKit", "DispoWatch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "DispoEngineTests",
            dependencies: [
                "DispoEngine", "DispoSim", "DispoTestKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "DispoConfigTests",
            dependencies: [
                "DispoConfig", "DispoTestKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "DispoCommandsTests",
            dependencies: [
                "DispoCommands", "DispoEngine", "DispoHost", "DispoConfig", "DispoTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SnapshotTesting", package: "swift-snapshot-testing"),
            ],
            exclude: ["__Snapshots__"]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
