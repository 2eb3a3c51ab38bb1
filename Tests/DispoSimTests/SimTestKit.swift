import DispoTestKit
import DispoConfig
import DispoHost
import Synchronization

@testable import DispoSim

/// Requests, specs and hosts for the sim tests.
enum Fixture {
    static let template = Template(
        name: "debian-12", kernel: "/var/lib/dispo/debian-12/vmlinuz",
        disks: [Template.Disk(target: "xvda", source: "/var/lib/dispo/debian-12/root.img")], volatile: .mebibytes(2048))

    static func spec(memory: UInt64 = 400, maxmem: UInt64 = 4000, ready: Readiness? = nil) -> EffectiveSpec {
        EffectiveSpec(
            disposableTemplate: "default-dvm", template: template,
            settings: DisposableSettings(
                memory: .mebibytes(memory), maxmem: .mebibytes(maxmem), netvm: .domain("sys-firewall"), ready: ready))
    }

    /// A request for a dispo-owned preload.
    static func request(_ name: String, memory: UInt64 = 400, maxmem: UInt64 = 4000) -> CreateRequest {
        CreateRequest(
            name: name, spec: spec(memory: memory, maxmem: maxmem),
            metadata: [
                MetadataKey.owner: MetadataKey.ownerValue, MetadataKey.role: Role.preload.rawValue,
                MetadataKey.template: "default-dvm", MetadataKey.stage: Stage.creating.rawValue,
            ])
    }

    /// A host in memory on a virtual clock.
    static func host(_ state: SimState = SimState(), clock: any HostClock = VirtualClock()) -> SimHost {
        SimHost(store: MemorySimStore(state), clock: clock)
    }

    static func mebibytes(_ size: Size) -> Double { Double(size.kibibytes) / 1024 }
}

extension SimHost {
    /// Creates and starts `name` (a dispo-owned domain).
    func started(_ name: String, memory: UInt64 = 400, maxmem: UInt64 = 4000) async throws {
        _ = try await create(Fixture.request(name, memory: memory, maxmem: maxmem))
        try await unpause(name)
    }

    func domain(_ name: String) async throws -> Domain? {
        try await snapshot().domain(named: name)
    }
}
