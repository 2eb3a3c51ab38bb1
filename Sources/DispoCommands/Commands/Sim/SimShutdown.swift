import ArgumentParser
import DispoHost
import DispoSim

/// `dispo sim shutdown`: shut a domain down, as its guest would.
struct SimShutdown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Shut a domain down, as its guest would.",
        discussion: """
            The guest powers off; the domain stays, halted and holding its memory, until
            it is destroyed. Works on any domain, owned by dispo or not.

            Example:
              dispo sim shutdown disp1234 --host sim:/tmp/host.json
            """)

    @OptionGroup var host: HostOptions

    @Argument(help: "The domain's name.")
    var name: String

    func run() async throws {
        try await SimCommandSupport.act(host, on: name, outcome: "halted") { admin, name throws(HostError) in
            try await admin.guestShutdown(name)
        }
    }
}
