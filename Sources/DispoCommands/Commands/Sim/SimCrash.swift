import ArgumentParser
import DispoHost
import DispoSim

/// `dispo sim crash`: crash a domain.
struct SimCrash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash",
        abstract: "Crash a domain.",
        discussion: """
            The domain stays, crashed and holding its memory, until it is destroyed.
            Works on any domain, owned by dispo or not; a domain still starting fails
            its readiness check.

            Example:
              dispo sim crash disp1234 --host sim:/tmp/host.json
            """)

    @OptionGroup var host: HostOptions

    @Argument(help: "The domain's name.")
    var name: String

    func run() async throws {
        try await SimCommandSupport.act(host, on: name, outcome: "crashed") { admin, name throws(HostError) in
            try await admin.crash(name)
        }
    }
}
