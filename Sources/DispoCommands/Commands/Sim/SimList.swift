import ArgumentParser
import DispoConfig
import DispoHost
import DispoSim

/// `dispo sim ls`: the simulated host's domains and memory.
struct SimList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the simulated host's domains.",
        discussion: """
            One line per domain (oldest first), then the host's free memory and
            pending faults. STATE is the power state, or booting for a running
            domain that is not ready yet. OWNER, ROLE, STAGE and TEMPLATE come from
            dispo's metadata; a dash when it has none.

            Examples:
              dispo sim ls --host sim:/tmp/host.json
              dispo sim ls --host sim:/tmp/host.json --json | jq '.domains[].name'
            """)

    @OptionGroup var host: HostOptions

    @Flag(help: "Print the host as one JSON document.")
    var json = false

    func run() async throws {
        let admin = try SimCommandSupport.admin(host)
        let listing = try await performing { () throws(HostError) in try await admin.list() }
        if json {
            try JSONOutput.print(SimListReport(listing, location: admin.store.location))
        } else {
            print(Self.render(listing), terminator: "")
        }
    }

    /// The table and the summary line.
    static func render(_ listing: SimAdmin.Listing) -> String {
        var rows = [["NAME", "DOMID", "STATE", "MEMORY", "OWNER", "ROLE", "STAGE", "TEMPLATE"]]
        for domain in listing.snapshot.domains {
            let state = listing.booting.contains(domain.name) ? "booting" : domain.power.rawValue
            let field = { (key: String) in domain.metadata[key] ?? "-" }
            rows.append([
                domain.name, "\(domain.domid)", state, SimCommandSupport.mebibytes(domain.memory),
                field(MetadataKey.owner), field(MetadataKey.role), field(MetadataKey.stage),
                field(MetadataKey.template),
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] + 2 - cell.count)
            }
            text += cells.joined() + "\n"
        }
        let snapshot = listing.snapshot
        var summary =
            "free \(SimCommandSupport.mebibytes(snapshot.freeMemory)) of \(snapshot.totalMemory) "
            + "(dom0 \(listing.dom0Memory)); boot \(Interval(milliseconds: Int64(listing.bootSeconds * 1000)))"
        let faults = SimOperation.allCases.compactMap { operation in
            listing.faults[operation].map { "\(operation) \($0)" }
        }
        if !faults.isEmpty { summary += "; pending faults: " + faults.joined(separator: ", ") }
        return text + summary + "\n"
    }
}

/// The `sim ls --json` document.
struct SimListReport: Encodable {
    struct Entry: Encodable {
        var name: String
        var domid: Int
        var uuid: String
        var state: String
        var booting: Bool
        var memoryMiB: UInt64
        var maxmemMiB: UInt64
        var owner: String?
        var role: String?
        var stage: String?
        var template: String?
        var metadata: [String: String]

        enum CodingKeys: String, CodingKey {
            case name, domid, uuid, state, booting, owner, role, stage, template, metadata
            case memoryMiB = "memory_mib"
            case maxmemMiB = "maxmem_mib"
        }

        /// Absent metadata is written as null, not left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(domid, forKey: .domid)
            try container.encode(uuid, forKey: .uuid)
            try container.encode(state, forKey: .state)
            try container.encode(booting, forKey: .booting)
            try container.encode(memoryMiB, forKey: .memoryMiB)
            try container.encode(maxmemMiB, forKey: .maxmemMiB)
            try container.encode(owner, forKey: .owner)
            try container.encode(role, forKey: .role)
            try container.encode(stage, forKey: .stage)
            try container.encode(template, forKey: .template)
            try container.encode(metadata, forKey: .metadata)
        }
    }

    var host: String
    var totalMemoryMiB: UInt64
    var freeMemoryMiB: UInt64
    var dom0MemoryMiB: UInt64
    var bootSeconds: Double
    var seed: UInt64
    var pendingFaults: [String: Int]
    var domains: [Entry]

    enum CodingKeys: String, CodingKey {
        case host, seed, domains
        case totalMemoryMiB = "total_memory_mib"
        case freeMemoryMiB = "free_memory_mib"
        case dom0MemoryMiB = "dom0_memory_mib"
        case bootSeconds = "boot_seconds"
        case pendingFaults = "pending_faults"
    }

    init(_ listing: SimAdmin.Listing, location: String) {
        host = location
        totalMemoryMiB = listing.snapshot.totalMemory.mebibytes
        freeMemoryMiB = listing.snapshot.freeMemory.mebibytes
        dom0MemoryMiB = listing.dom0Memory.mebibytes
        bootSeconds = listing.bootSeconds
        seed = listing.seed
        pendingFaults = Dictionary(uniqueKeysWithValues: listing.faults.map { ($0.key.rawValue, $0.value) })
        domains = listing.snapshot.domains.map { domain in
            Entry(
                name: domain.name, domid: domain.domid, uuid: domain.uuid, state: domain.power.rawValue,
                booting: listing.booting.contains(domain.name), memoryMiB: domain.memory.mebibytes,
                maxmemMiB: domain.maxmem.mebibytes, owner: domain.metadata[MetadataKey.owner],
                role: domain.metadata[MetadataKey.role], stage: domain.metadata[MetadataKey.stage],
                template: domain.metadata[MetadataKey.template], metadata: domain.metadata)
        }
    }
}
