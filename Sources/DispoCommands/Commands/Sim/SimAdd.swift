import ArgumentParser
import DispoConfig
import DispoHost
import DispoSim

/// `dispo sim add`: a running domain dispo does not own, as a user's own VM.
struct SimAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a running domain that dispo does not own.",
        discussion: """
            The domain takes host memory like any other, and dispo must never touch it
            (it has no owner=dispo metadata).

            Examples:
              dispo sim add work --host sim:/tmp/host.json
              dispo sim add sys-firewall --memory 1GiB --host sim:/tmp/host.json
            """)

    @OptionGroup var host: HostOptions

    @Argument(help: "The domain's name.")
    var name: String

    @Option(help: ArgumentHelp("Its memory: MiB or a size with a unit (default: 400MiB).", valueName: "SIZE"))
    var memory: String?

    func run() async throws {
        let admin = try SimCommandSupport.admin(host)
        let memory = try memory.map { try SimCommandSupport.size($0, option: "--memory") } ?? .mebibytes(400)
        let name = self.name
        guard !name.isEmpty else { throw failure("the domain name must not be empty") }
        let domain = try await performing { () throws(HostError) in
            try await admin.addForeign(name: name, memory: memory)
        }
        print("added \(domain.name) (domid \(domain.domid), \(domain.memory), running; not managed by dispo)")
    }
}
