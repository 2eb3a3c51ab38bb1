import ArgumentParser
import DispoConfig
import DispoHost
import DispoSim

/// `dispo sim init`: a fresh simulated host, replacing whatever the state file held.
struct SimInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a fresh simulated host (replaces the state file).",
        discussion: """
            Writes a host with no domains. Also the way out when the state file is
            unreadable. Refused while a controller or an apply holds the host. The
            same seed gives the same domain uuids for the same operations.

            Examples:
              dispo sim init --host sim:/tmp/host.json
              dispo sim init --host sim:/tmp/host.json --memory 8GiB --boot 6s --seed 42
            """)

    @OptionGroup var host: HostOptions

    @Option(help: ArgumentHelp("Host memory: MiB or a size with a unit (default: 16GiB).", valueName: "SIZE"))
    var memory: String?

    @Option(
        help: ArgumentHelp("Seconds from a domain's first unpause until it is ready (default: 2s).", valueName: "DUR"))
    var boot: String?

    @Option(help: ArgumentHelp("Seed for the generated uuids.", valueName: "N"))
    var seed: UInt64 = 0

    func run() async throws {
        let path = try SimCommandSupport.path(host)
        try HostOwnership.refuseIfHeld(.sim(path: path), command: "sim init")
        let memory =
            try memory.map { try SimCommandSupport.size($0, option: "--memory") } ?? SimState.defaultTotalMemory
        let boot = try boot.map { try SimCommandSupport.interval($0, option: "--boot") } ?? .seconds(2)
        let admin = SimAdmin(store: FileSimStore(path: path))
        let seed = self.seed
        let state = try await performing { () throws(HostError) in
            try await admin.initialise(memory: memory, boot: boot, seed: seed)
        }
        let dom0 = Size(kibibytes: state.dom0MemoryKiB)
        print("initialised sim:\(path): \(memory) of memory (dom0 \(dom0)), boot \(boot), seed \(seed)")
    }
}
