import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost

/// `dispo sleep pre`: removes every preload and holds the refill, before a host suspend.
struct SleepPre: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pre",
        abstract: "Before a host suspend: remove every preload and hold the refill until `dispo sleep post`.",
        discussion: """
            Removes the paused preloads and the ones still starting, and returns once they are
            gone, so that the suspend waits for it. Disposables in use and named disposables are
            left alone. Goes through the controller (dispo watch) when one keeps the host (named
            on stderr); otherwise acts on the host itself, holding it as apply does. On Qubes
            (--host qubes) qubesd does this itself: nothing to do.
            Prints how many preloads were removed and how long it took. Exit status 0 when they
            are all gone; 1 on an error, or when some are left after --timeout (named on stderr;
            the hold is recorded all the same).

            Examples:
              dispo sleep pre
              dispo sleep pre --timeout 20s --json
              dispo sleep pre --host sim:/tmp/host.json
            """)

    @Option(help: ArgumentHelp("How long the removal may take, at most 10m.", valueName: "DUR"))
    var timeout = "45s"

    @Flag(help: "Print what was done as one JSON document.")
    var json = false

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    func validate() throws {
        let seconds = try Watch.seconds(timeout, option: "--timeout", positive: true)
        guard seconds <= SuspendBody.maxTimeout else {
            throw ValidationError("--timeout must be at most 10m, found \(timeout)")
        }
    }

    func run() async throws {
        let seconds = try Watch.seconds(timeout, option: "--timeout", positive: true)
        if socketOptions.socket == nil, case .qubes = try hostOptions.choice(announce: false) {
            return try SleepOutput.qubes(json: json)
        }
        let report: SuspendReport
        switch try await DaemonRoute.resolve(host: hostOptions, socket: socketOptions, config: nil) {
        case .daemon(let daemon):
            report = try await DaemonCall.run(daemon.socket) {
                try await APIClient.suspendHost(timeout: seconds, socket: daemon.socket)
            }
        case .direct(let choice):
            report = try await Self.direct(choice, within: seconds)
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(
                "removed \(plural(report.removed, "preload")) in \(format(report.seconds)); "
                    + "refill held for the host suspend until dispo sleep post")
        }
        guard report.left.isEmpty else {
            throw failure(
                "\(plural(report.left.count, "preload")) still there after \(timeout): "
                    + report.left.joined(separator: " "))
        }
    }

    /// On the host itself, holding it as apply does; refused when a live controller owns the queues.
    private static func direct(_ choice: HostOptions.Choice, within seconds: Double) async throws -> SuspendReport {
        let host = try HostFactory.open(choice)
        let lock = try HostOwnership.acquire(choice, command: "sleep pre", config: "-", socket: nil)
        defer { lock.release() }
        let snapshot = try await performing { () throws(HostError) in try await host.snapshot() }
        if let holder = ControllerLease.liveHolder(in: snapshot.metadata) {
            throw failure(
                "the dispo controller (pid \(holder)) owns the preload queues of \(choice.location); "
                    + "ask it through its socket (dispo sleep pre --socket PATH, or DISPO_SOCKET)")
        }
        let clock = SystemClock()
        let progress = ProgressPrinter(start: clock.now())
        let reconciler = Reconciler(host: host, clock: clock, onEvent: { progress.handle($0) })
        let outcome = try await performing { () throws(HostError) in
            try await reconciler.holdForSuspend(DesiredState(), within: seconds)
        }
        return SuspendReport(outcome, via: "host")
    }
}
