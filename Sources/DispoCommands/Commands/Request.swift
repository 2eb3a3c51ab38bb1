import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import Foundation

/// `dispo request [TARGET]`: hands out a disposable.
struct Request: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand out a disposable: a preloaded one when the queue has one, else a fresh one.",
        discussion: """
            TARGET is a disposable template name, @dispvm (System.default_dispvm, or with --source
            the default disposable template of that qube), @dispvm:NAME, or @dispvm:@tag:TAG (the
            one disposable template with that tag). Default: @dispvm.

            The oldest ready, up-to-date preload is claimed, unpaused and marked used; the queue
            refills after the template's preload.delay. With none ready, one still starting is
            awaited, else a disposable is started cold. When a controller (dispo watch) keeps the
            host it does the work (named on stderr); otherwise dispo reads the config and acts on
            the host itself. --socket, --host and -c are honoured or refused: a controller that
            serves another host or config is an error.
            Prints NAME (TEMPLATE, preloaded|cold, TIME). Exit status 0, or 1 on an error.

            Examples:
              dispo request
              dispo request @dispvm:@tag:work
              dispo request default-dvm --json | jq -r .name
            """)

    @Argument(help: ArgumentHelp("What to hand out (default: @dispvm).", valueName: "TARGET"))
    var target: String?

    @Option(
        help: ArgumentHelp(
            "The qube asking; @dispvm then means its default disposable template.",
            valueName: "QUBE"))
    var source: String?

    @Flag(help: "Print the disposable as one JSON document.")
    var json = false

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    func run() async throws {
        try printed(try await handOut())
    }

    /// Through the controller when one keeps the host (Xen, sim or Qubes), else on the host itself: the broker,
    /// or on Qubes `admin.vm.CreateDisposable`.
    private func handOut() async throws -> Handout {
        let handout: Handout
        switch try await DaemonRoute.resolve(host: hostOptions, socket: socketOptions, config: config) {
        case .daemon(let daemon):
            handout = try await DaemonCall.run(daemon.socket) {
                try await APIClient.request(target: target, source: source, socket: daemon.socket)
            }
        case .direct(.qubes(let socket)):
            let desired = try await LoadedConfig.load(config)
            handout = try await QubesPath.request(target, source: source, desired: desired, socket: socket)
        case .direct(let choice):
            let desired = try await LoadedConfig.load(config)
            let host = try HostFactory.open(choice)
            handout = try await refusing { () throws(RequestError) in
                try await Broker(host: host, clock: SystemClock())
                    .request(RequestTarget.parse(target), source: source, desired: desired)
            }
        }
        return handout
    }

    private func printed(_ handout: Handout) throws {
        if json {
            try JSONOutput.print(handout)
        } else {
            let source = handout.preloaded ? "preloaded" : "cold"
            print("\(handout.name) (\(handout.template), \(source), \(Self.duration(handout.seconds)))")
        }
    }

    /// `4 ms` below a second, `2.1 s` above.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        return "\((seconds * 10).rounded() / 10) s"
    }
}

/// Runs a broker call, turning a ``RequestError`` into `dispo: error: MESSAGE` and exit status 1.
func refusing<Value>(_ body: () async throws(RequestError) -> Value) async throws -> Value {
    do {
        return try await body()
    } catch {
        throw failure(error.message)
    }
}

/// A call to the daemon's API, with its refusals and silence turned into `dispo: error: ...` and exit status 1.
enum DaemonCall {
    static func run<Value>(_ socket: String, _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let refusal as APIClient.Refusal {
            throw failure(refusal.message)
        } catch {
            throw failure("the daemon at \(socket) did not answer: \(error)")
        }
    }
}
