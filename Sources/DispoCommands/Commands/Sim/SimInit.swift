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

            Guests boot with their memory, then grow by 200MiB (up to maxmem) and report
            using --guest-used (Qubes' meminfo); dispo shrinks a preload before its pause
            to max(min(used x 1.3, maxmem), 200MiB), never above what it holds, at the
            --balloon speed. With --guest-used none, guests do not report and preloads are
            not shrunk; a slow --balloon (under 100) makes the shrink give up after 3s.

            Examples:
              dispo sim init --host sim:/tmp/host.json
              dispo sim init --host sim:/tmp/host.json --memory 8GiB --boot 6s --seed 42
              dispo sim init --host sim:/tmp/host.json --guest-used 400MiB --balloon 50
            """)

    @OptionGroup var host: HostOptions

    @Option(help: ArgumentHelp("Host memory: MiB or a size with a unit (default: 16GiB).", valueName: "SIZE"))
    var memory: String?

    @Option(
        help: ArgumentHelp("Seconds from a domain's first unpause until it is ready (default: 2s).", valueName: "DUR"))
    var boot: String?

    @Option(help: ArgumentHelp("Seed for the generated uuids.", valueName: "N"))
    var seed: UInt64 = 0

    @Option(
        help: ArgumentHelp(
            "Memory each booted guest reports using, or none (default: \(SimState.defaultGuestUsedMiB)MiB).",
            valueName: "SIZE"))
    var guestUsed: String?

    @Option(
        help: ArgumentHelp(
            "Balloon speed in MiB/s (default: \(Int(SimState.defaultBalloonMiBPerSecond))).", valueName: "MIB"))
    var balloon: Double = SimState.defaultBalloonMiBPerSecond

    func validate() throws {
        guard balloon.isFinite, balloon > 0 else {
            throw ValidationError("--balloon must be a speed above 0 MiB/s, found \(balloon)")
        }
    }

    func run() async throws {
        let path = try SimCommandSupport.path(host)
        try HostOwnership.refuseIfHeld(.sim(path: path), command: "sim init")
        let memory =
            try memory.map { try SimCommandSupport.size($0, option: "--memory") } ?? SimState.defaultTotalMemory
        let boot = try boot.map { try SimCommandSupport.interval($0, option: "--boot") } ?? .seconds(2)
        let guestUsed: Size? =
            guestUsed == "none"
            ? nil
            : try guestUsed.map { try SimCommandSupport.size($0, option: "--guest-used") }
                ?? .mebibytes(SimState.defaultGuestUsedMiB)
        let admin = SimAdmin(store: FileSimStore(path: path))
        let seed = self.seed
        let balloon = self.balloon
        let state = try await performing { () throws(HostError) in
            try await admin.initialise(
                memory: memory, boot: boot, seed: seed, guestUsed: guestUsed, balloonMiBPerSecond: balloon)
        }
        let dom0 = Size(kibibytes: state.dom0MemoryKiB)
        let reports = guestUsed.map { "guests report using \($0)" } ?? "guests do not report their use"
        print(
            "initialised sim:\(path): \(memory) of memory (dom0 \(dom0)), boot \(boot), seed \(seed), "
                + "\(reports), balloon \(Self.speed(balloon)) MiB/s")
    }

    private static func speed(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int(value)) : String(value)
    }
}
