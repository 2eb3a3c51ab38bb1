import DispoTestKit
import DispoConfig
import DispoHost
import DispoSim
import Synchronization
import Testing

@testable import DispoEngine

/// The shrink before a preload's pause, Qubes' rule, against the simulated host in virtual time.
struct ShrinkerTests {
    /// A running guest made with `memory` and `maxmem`, booted (the sim grows it by 200 MiB up to maxmem).
    struct Guest {
        let clock = VirtualClock()
        let store: MemorySimStore
        let host: SimHost
        let admin: SimAdmin
        let name = "disp1"

        init(usedMiB: UInt64?, balloon: Double = 1000, memory: UInt64 = 400, maxmem: UInt64 = 4000) async throws {
            var state = SimState(bootSeconds: 1)
            state.guestUsedMiB = usedMiB
            state.balloonMiBPerSecond = balloon
            store = MemorySimStore(state)
            host = SimHost(store: store, clock: clock)
            admin = SimAdmin(store: store, clock: clock)
            let spec = EffectiveSpec(
                disposableTemplate: "default-dvm", template: Template(name: "debian-12", kernel: "/boot/vmlinuz"),
                settings: DisposableSettings(memory: .mebibytes(memory), maxmem: .mebibytes(maxmem)))
            _ = try await host.create(
                CreateRequest(name: name, spec: spec, metadata: [MetadataKey.owner: MetadataKey.ownerValue]))
            try await host.unpause(name)
            clock.advance(by: 1)
        }

        func shrink(maxmem: UInt64 = 4000) async throws -> ShrinkRecord {
            try await Shrinker.shrink(name, maxmem: .mebibytes(maxmem), host: host, clock: clock)
        }

        /// The balloon target the sim holds (nil: none was ever set).
        func target() async throws -> UInt64? {
            try await store.read().domains.first?.targetKiB
        }

        func memoryMiB() async throws -> Double {
            Double(try await host.domain(named: name)?.memory.kibibytes ?? 0) / 1024
        }
    }

    @Test(arguments: [
        // used MiB, maxmem MiB -> preferred MiB: max(min(used x 1.3, maxmem), 200)
        (250, 4000, 325), (1000, 4000, 1300), (1000, 1000, 1000), (3500, 4000, 4000), (100, 4000, 200),
        (0, 4000, 200), (150, 180, 200),
    ] as [(UInt64, UInt64, UInt64)])
    func preferredMemoryIsQubesRule(used: UInt64, maxmem: UInt64, preferred: UInt64) {
        #expect(Shrinker.preferred(used: .mebibytes(used), maxmem: .mebibytes(maxmem)) == .mebibytes(preferred))
    }

    @Test func theTargetIsNeverAboveTheCurrentMemory() {
        #expect(Shrinker.target(used: .mebibytes(500), maxmem: .mebibytes(4000), current: .mebibytes(600))
            == .mebibytes(600))
        #expect(Shrinker.target(used: .mebibytes(250), maxmem: .mebibytes(4000), current: .mebibytes(600))
            == .mebibytes(325))
        #expect(Shrinker.preferred(used: GuestMemoryReport.maximum, maxmem: .mebibytes(4000)) == .mebibytes(4000))
    }

    @Test func aReportingGuestShrinksToItsPreferredMemory() async throws {
        let guest = try await Guest(usedMiB: 250)
        #expect(try await guest.memoryMiB() == 600)
        let start = guest.clock.now()
        let record = try await guest.shrink()
        #expect(record.result == .reached)
        #expect(record.before == .mebibytes(600))
        #expect(record.after == .mebibytes(325), "the sim balloons at 1000 MiB/s and stops at the target")
        #expect(record.target == .mebibytes(325))
        #expect(record.reportedUse == .mebibytes(250))
        #expect(record.seconds == 0.3, "600 -> 500 -> 400 -> 325: within 1.1x at the third 0.1 s poll")
        #expect(abs(guest.clock.now() - start - 0.3) < 1e-6)
        #expect(try await guest.target() == Size.mebibytes(325).kibibytes)
    }

    @Test func theFloorIs200MiB() async throws {
        let guest = try await Guest(usedMiB: 100)
        let record = try await guest.shrink()
        #expect(record.result == .reached)
        #expect(record.target == .mebibytes(200))
        #expect(record.after <= .mebibytes(220))
    }

    @Test func aGuestThatHasNotReportedIsNotBallooned() async throws {
        let guest = try await Guest(usedMiB: nil)
        let start = guest.clock.now()
        let record = try await guest.shrink()
        #expect(record.result == .notReported)
        #expect(record.before == .mebibytes(600) && record.after == .mebibytes(600))
        #expect(record.target == nil && record.reportedUse == nil)
        #expect(guest.clock.now() == start, "no polling")
        #expect(try await guest.target() == nil, "no balloon target was set")
    }

    @Test(arguments: ["", "256000\n", " 256000", "+256000", "-1", "25e4", "256000KiB", "0x3e800", "２５６", "99999999999999"])
    func aGarbageReportCountsAsNotReported(text: String) async throws {
        let guest = try await Guest(usedMiB: 250)
        try await guest.admin.writeMeminfo(guest.name, text)
        #expect(try await guest.host.domain(named: guest.name)?.reportedUse == nil)
        let record = try await guest.shrink()
        #expect(record.result == .notReported)
        #expect(try await guest.target() == nil)
    }

    @Test func aReportWrittenByTheGuestIsUsedAsKiB() async throws {
        let guest = try await Guest(usedMiB: nil)
        try await guest.admin.writeMeminfo(guest.name, "204800")  // 200 MiB -> preferred 260 MiB
        let record = try await guest.shrink()
        #expect(record.result == .reached)
        #expect(record.reportedUse == .mebibytes(200))
        #expect(record.target == .mebibytes(260))
    }

    @Test func aPreferredMemoryAboveTheCurrentOneDoesNotGrowTheGuest() async throws {
        let guest = try await Guest(usedMiB: 600)  // preferred 780 MiB, the guest holds 600
        let record = try await guest.shrink()
        #expect(record.result == .nothingToRelease)
        #expect(record.target == .mebibytes(600))
        #expect(record.after == .mebibytes(600))
        #expect(try await guest.target() == nil, "no balloon target was set")
        guest.clock.advance(by: 10)
        #expect(try await guest.memoryMiB() == 600)
    }

    @Test func theMaxmemCapsThePreferredMemory() async throws {
        // maxmem 500: the guest grows to 500; it reports 450 (x 1.3 = 585, capped at 500 = what it holds).
        let guest = try await Guest(usedMiB: 450, memory: 400, maxmem: 500)
        let record = try await guest.shrink(maxmem: 500)
        #expect(record.result == .nothingToRelease)
        #expect(record.target == .mebibytes(500))
    }

    @Test func aSlowBalloonIsGivenUpAfterThreeSeconds() async throws {
        let guest = try await Guest(usedMiB: 250, balloon: 50)  // 50 MiB/s: under Qubes' 100 MiB/s
        let start = guest.clock.now()
        let record = try await guest.shrink()
        #expect(record.result == .gaveUp)
        #expect(record.seconds == 3.0)
        #expect(abs(guest.clock.now() - start - 3.0) < 1e-6)
        #expect(abs(Double(record.afterKiB) / 1024 - 450) < 0.1, "600 MiB less 3 s at 50 MiB/s")
        #expect(record.target == .mebibytes(325))
    }

    @Test func aBalloonAtTheThresholdSpeedIsNotGivenUp() async throws {
        let guest = try await Guest(usedMiB: 250, balloon: 120)  // 275 MiB to release: 2.3 s ... within 1.1x
        let record = try await guest.shrink()
        #expect(record.result == .reached)
        #expect(record.seconds > 1.5 && record.seconds < 3)
    }

    @Test func aFastStartThenAStallIsGivenUpOnTheLastSecond() async throws {
        // A guest that releases fast, then stops above the goal: the rate of the last second is what counts.
        let guest = try await Guest(usedMiB: 250, balloon: 1000)
        let stalling = AdjustingHost(inner: guest.host) { _, domain in
            var domain = domain
            domain.memory = max(domain.memory, .mebibytes(400))
            return domain
        }
        let record = try await Shrinker.shrink(guest.name, maxmem: .mebibytes(4000), host: stalling, clock: guest.clock)
        #expect(record.result == .gaveUp)
        #expect(record.seconds == 3.0)
        #expect(record.after == .mebibytes(400))
    }

    @Test func theTargetFollowsTheGuestsNewReportEverySecond() async throws {
        // The guest reports 250 MiB, then from its fifth read (0.4 s) 100 MiB: the target follows at 1 s.
        let guest = try await Guest(usedMiB: 250, balloon: 60)
        let changing = AdjustingHost(inner: guest.host) { read, domain in
            var domain = domain
            if read >= 5 { domain.reportedUse = .mebibytes(100) }
            return domain
        }
        let record = try await Shrinker.shrink(guest.name, maxmem: .mebibytes(4000), host: changing, clock: guest.clock)
        #expect(record.reportedUse == .mebibytes(100))
        #expect(record.target == .mebibytes(200))
        #expect(try await guest.target() == Size.mebibytes(200).kibibytes, "the new target was set")
        #expect(record.result == .gaveUp, "60 MiB/s is under 100 MiB/s")
    }

    @Test func aGrowingReportNeverRaisesTheTarget() async throws {
        // Xen lowers the domain's maxmem with an enforced target: a raised target would be refused.
        let guest = try await Guest(usedMiB: 250, balloon: 60)
        let growing = AdjustingHost(inner: guest.host) { read, domain in
            var domain = domain
            if read >= 5 { domain.reportedUse = .mebibytes(400) }  // preferred 520 MiB
            return domain
        }
        let record = try await Shrinker.shrink(guest.name, maxmem: .mebibytes(4000), host: growing, clock: guest.clock)
        #expect(record.target == .mebibytes(325))
        #expect(record.reportedUse == .mebibytes(400))
        #expect(try await guest.target() == Size.mebibytes(325).kibibytes)
    }

    @Test func aVanishedDomainIsAnError() async throws {
        let guest = try await Guest(usedMiB: 250)
        try await guest.host.destroy(guest.name)
        let error = await #expect(throws: HostError.self) { try await guest.shrink() }
        #expect(error?.code == .notFound)
    }
}

/// The simulated host, with each ``domain(named:)`` answer passed through `adjust` (with the number of reads before
/// it): a guest whose balloon stalls, or whose report changes.
final class AdjustingHost: DispoHost.Host {
    let inner: SimHost
    let adjust: @Sendable (Int, Domain) -> Domain
    private let reads = Mutex(0)

    init(inner: SimHost, adjust: @escaping @Sendable (Int, Domain) -> Domain) {
        self.inner = inner
        self.adjust = adjust
    }

    var backend: String { inner.backend }
    var location: String { inner.location }
    func snapshot() async throws(HostError) -> HostSnapshot { try await inner.snapshot() }
    func domain(named name: String) async throws(HostError) -> Domain? {
        guard let domain = try await inner.domain(named: name) else { return nil }
        let read = reads.withLock { count in
            defer { count += 1 }
            return count
        }
        return adjust(read, domain)
    }
    func create(_ request: CreateRequest) async throws(HostError) -> Domain { try await inner.create(request) }
    func unpause(_ name: String) async throws(HostError) { try await inner.unpause(name) }
    func pause(_ name: String) async throws(HostError) { try await inner.pause(name) }
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await inner.setMemoryTarget(name, target)
    }
    func shutdown(_ name: String) async throws(HostError) { try await inner.shutdown(name) }
    func destroy(_ name: String) async throws(HostError) { try await inner.destroy(name) }
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await inner.updateMetadata(name, values)
    }
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try await inner.updateMetadata(name, values, ifMatching: expected)
    }
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try await inner.handOut(request)
    }
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await inner.updateHostMetadata(values)
    }
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try await inner.waitReady(name, readiness: readiness, timeout: timeout)
    }
    func fingerprint(files: [String]) async -> String { await inner.fingerprint(files: files) }
    func events() -> AsyncStream<HostEvent> { inner.events() }
}
