import ArgumentParser
import DispoDaemon
import DispoEngine
import DispoHost
import DispoQubes

/// `dispo release NAME`: ends an unnamed disposable.
struct Release: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End an unnamed disposable: shut it down and remove it with its disks.",
        discussion: """
            Only unnamed disposables (disp<N>, handed out by dispo request) are released. A named
            disposable is refused (set state: halted in its config to stop it), and so is a
            preload still waiting in the queue, or a domain dispo did not make. The name is not
            reused for 7 days. Goes through the controller (dispo watch) when one keeps the host
            (named on stderr), else acts on the host directly. On Qubes (--host qubes) it kills an
            unnamed DispVM and qubesd removes it. Exit status 0, or 1 on an error.

            Examples:
              dispo release disp1234
              dispo release disp1234 --host sim:/tmp/host.json
            """)

    @Argument(help: ArgumentHelp("The disposable to end.", valueName: "NAME"))
    var name: String

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    func run() async throws {
        switch try await DaemonRoute.resolve(host: hostOptions, socket: socketOptions, config: nil) {
        case .daemon(let daemon):
            try await DaemonCall.run(daemon.socket) { try await APIClient.release(name, socket: daemon.socket) }
        case .direct(.qubes(let socket)):
            try await QubesPath.qubes { () throws(QubesError) in
                try await QubesRequester(client: AdminClient(socketPath: socket)).release(name)
            }
        case .direct(let choice):
            let host = try HostFactory.open(choice)
            try await refusing { () throws(RequestError) in
                try await Broker(host: host, clock: SystemClock()).release(name)
            }
        }
        print("released \(name)")
    }
}
