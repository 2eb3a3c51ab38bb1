import ArgumentParser
import DispoDaemon
import DispoEngine
import DispoHost

/// `dispo sleep post`: ends the hold of `dispo sleep pre` after the host woke; the queues refill.
struct SleepPost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post",
        abstract: "After a host suspend: let the preload queues refill.",
        discussion: """
            Removes the hold `dispo sleep pre` recorded and returns at once; the controller
            (dispo watch) refills the queues in its usual slow start (1, 2, 4, ... at a time).
            Without a controller the next dispo apply or dispo watch refills them. Nothing held
            is not an error. Goes through the controller when one keeps the host (named on
            stderr), else acts on the host itself. On Qubes (--host qubes): nothing to do.
            Exit status 0, or 1 on an error.

            Examples:
              dispo sleep post
              dispo sleep post --json | jq .refilling
            """)

    @Flag(help: "Print what was done as one JSON document.")
    var json = false

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    func run() async throws {
        if socketOptions.socket == nil, case .qubes = try hostOptions.choice(announce: false) {
            return try SleepOutput.qubes(json: json)
        }
        let report: ResumeReport
        switch try await DaemonRoute.resolve(host: hostOptions, socket: socketOptions, config: nil) {
        case .daemon(let daemon):
            report = try await DaemonCall.run(daemon.socket) { try await APIClient.resumeHost(socket: daemon.socket) }
        case .direct(let choice):
            let host = try HostFactory.open(choice)
            let clock = SystemClock()
            let resumed = try await performing { () throws(HostError) in
                try await Reconciler(host: host, clock: clock).resumeAfterSuspend()
            }
            report = ResumeReport(
                resumed.record, wasSuspended: resumed.wasSuspended, clock: clock, refilling: false,
                via: "host")
        }
        if json {
            try JSONOutput.print(report)
        } else if !report.wasSuspended {
            print("no host suspend was recorded; nothing was held")
        } else {
            let held = report.heldSeconds.map { " (held \(format($0)))" } ?? ""
            print(
                report.refilling
                    ? "refill resumed\(held)"
                    : "hold ended\(held); no controller keeps this host: the next dispo apply or dispo watch refills the queues"
            )
        }
    }
}

/// What `dispo sleep` prints where it has nothing to do.
enum SleepOutput {
    /// On Qubes, qubesd removes and refills the preloads around a suspend itself (`internal.SuspendPre`/`Post`).
    static func qubes(json: Bool) throws {
        if json {
            try JSONOutput.print(["skipped": "qubesd holds the preload queues across a suspend itself"])
        } else {
            print("nothing to do: on Qubes, qubesd holds the preload queues across a suspend itself")
        }
    }
}
