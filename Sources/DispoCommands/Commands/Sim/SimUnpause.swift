import ArgumentParser
import DispoHost
import DispoSim

/// `dispo sim unpause`: unpause a paused domain behind dispo's back.
struct SimUnpause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpause",
        abstract: "Unpause a paused domain behind dispo's back.",
        discussion: """
            As a user running `xl unpause` would. dispo must notice that a paused
            preload was unpaused without it and treat it as used.

            Example:
              dispo sim unpause disp1234 --host sim:/tmp/host.json
            """)

    @OptionGroup var host: HostOptions

    @Argument(help: "The domain's name.")
    var name: String

    func run() async throws {
        let outcome = "running (unpaused behind dispo's back)"
        try await SimCommandSupport.act(host, on: name, outcome: outcome) { admin, name throws(HostError) in
            try await admin.unpauseBehindDispo(name)
        }
    }
}
