import DispoConfig
import DispoHost
import DispoXen
import Testing

struct SnapshotAssemblyTests {
    static let owned = [MetadataKey.owner: "dispo", MetadataKey.role: "preload", MetadataKey.stage: "paused"]

    static func live(_ name: String, _ domid: UInt32, uuid: String, flags: DomainFlags = DomainFlags(running: true))
        -> LiveDomain
    {
        LiveDomain(name: name, uuid: uuid, domid: domid, flags: flags, currentKiB: 409_600, maxKiB: 4_096_000)
    }

    @Test func liveDomainsCarryTheirRecords() {
        let domains = SnapshotAssembly.domains(
            live: [Self.live("disp2", 7, uuid: "u2", flags: DomainFlags(paused: true)), Self.live("sys-net", 1, uuid: "n")],
            metadata: ["disp2": MetadataEntry(uuid: "u2", values: Self.owned)])
        #expect(
            domains == [
                Domain(name: "sys-net", uuid: "n", domid: 1, power: .running, memory: .mebibytes(400), maxmem: .mebibytes(4000)),
                Domain(
                    name: "disp2", uuid: "u2", domid: 7, power: .paused, memory: .mebibytes(400), maxmem: .mebibytes(4000),
                    metadata: Self.owned),
            ])
        #expect(domains.map(\.isOwned) == [false, true])
    }

    /// A crash after the record was written and before the domain existed: the planner sees a halted domain
    /// (domid -1, no memory) and destroys it, which removes the record.
    @Test func aRecordWithoutADomainIsAHaltedDomain() {
        let domains = SnapshotAssembly.domains(
            live: [Self.live("sys-net", 1, uuid: "n")],
            metadata: ["disp9": MetadataEntry(uuid: "u9", values: Self.owned), "disp3": MetadataEntry(uuid: "", values: Self.owned)])
        #expect(domains.map(\.name) == ["sys-net", "disp3", "disp9"])
        let orphan = domains[2]
        #expect(orphan.domid == -1)
        #expect(orphan.power == .halted)
        #expect(orphan.memory == Size(kibibytes: 0))
        #expect(orphan.maxmem == Size(kibibytes: 0))
        #expect(orphan.uuid == "u9")
        #expect(orphan.isOwned)
    }

    /// Someone else made a domain with the name of a stale record: it is not dispo's.
    @Test func aRecordWithAnotherUUIDDoesNotClaimTheDomain() {
        let domains = SnapshotAssembly.domains(
            live: [Self.live("disp4", 5, uuid: "theirs")], metadata: ["disp4": MetadataEntry(uuid: "mine", values: Self.owned)])
        #expect(domains.count == 1)
        #expect(domains[0].metadata.isEmpty)
        #expect(!domains[0].isOwned)
    }

    /// A record whose UUID is not known yet (written by an older dispo) still describes the domain of its name.
    @Test func aRecordWithoutUUIDDescribesTheDomain() {
        let domains = SnapshotAssembly.domains(
            live: [Self.live("disp4", 5, uuid: "any")], metadata: ["disp4": MetadataEntry(uuid: "", values: Self.owned)])
        #expect(domains[0].isOwned)
    }

    @Test func liveDomainsInDomidOrder() {
        let domains = SnapshotAssembly.domains(
            live: [Self.live("c", 9, uuid: "c"), Self.live("a", 2, uuid: "a"), Self.live("b", 4, uuid: "b")], metadata: [:])
        #expect(domains.map(\.domid) == [2, 4, 9])
    }
}

/// libxl_dominfo flags -> PowerState.
struct PowerMappingTests {
    @Test(arguments: [
        (DomainFlags(running: true), PowerState.running),
        (DomainFlags(blocked: true), .running),
        (DomainFlags(), .running),
        (DomainFlags(paused: true), .paused),
        (DomainFlags(blocked: true, paused: true), .paused),
        (DomainFlags(shutdown: true), .halted),
        (DomainFlags(shutdown: true, crashed: true), .crashed),
        (DomainFlags(paused: true, shutdown: true, crashed: true), .crashed),
        (DomainFlags(paused: true, shutdown: true), .halted),
        (DomainFlags(dying: true), .halted),
        (DomainFlags(paused: true, dying: true), .halted),
        (DomainFlags(crashed: true), .running),  // a reason without the shutdown flag means nothing
    ])
    func power(flags: DomainFlags, expected: PowerState) {
        #expect(flags.power == expected)
    }
}

struct EventDiffTests {
    typealias S = EventDiff.Summary

    @Test func powerChangesBecomeEvents() {
        let before = [S(name: "a", domid: 1, power: .running), S(name: "b", domid: 2, power: .running), S(name: "c", domid: 3, power: .paused)]
        let after = [S(name: "a", domid: 1, power: .halted), S(name: "b", domid: 2, power: .crashed), S(name: "c", domid: 3, power: .running)]
        #expect(EventDiff.events(from: before, to: after) == [.shutdown("a"), .crashed("b"), .unpaused("c")])
    }

    @Test func nothingChangedNoEvents() {
        let state = [S(name: "a", domid: 1, power: .running, metadata: ["stage": "ready"])]
        #expect(EventDiff.events(from: state, to: state).isEmpty)
    }

    @Test(arguments: [
        [S(name: "a", domid: 1, power: .running), S(name: "b", domid: 2, power: .paused)],  // added
        [S](),  // gone
        [S(name: "a", domid: 5, power: .running)],  // re-made
        [S(name: "a", domid: 1, power: .running, metadata: ["stage": "used"])],  // metadata
        [S(name: "a", domid: 1, power: .paused)],  // paused
        [S(name: "x", domid: 1, power: .running)],  // renamed
    ])
    func otherDifferencesAreChanged(after: [S]) {
        let before = [S(name: "a", domid: 1, power: .running)]
        #expect(EventDiff.events(from: before, to: after).last == .changed)
    }

    @Test func aDomainAppearingCrashedIsReported() {
        #expect(EventDiff.events(from: [], to: [S(name: "a", domid: 1, power: .crashed)]) == [.crashed("a"), .changed])
    }
}

/// The narrow read (``XenHost/domain(named:)``) assembles one domain from its live domain and its record the way a
/// snapshot assembles all of them.
struct NarrowReadAssemblyTests {
    typealias Case = (live: [LiveDomain], metadata: [String: MetadataEntry])
    static let owned = SnapshotAssemblyTests.owned

    static let cases: [Case] = [
        ([SnapshotAssemblyTests.live("disp2", 7, uuid: "u2", flags: DomainFlags(paused: true))],
         ["disp2": MetadataEntry(uuid: "u2", values: owned)]),
        ([SnapshotAssemblyTests.live("sys-net", 1, uuid: "n")], ["disp9": MetadataEntry(uuid: "u9", values: owned)]),
        ([SnapshotAssemblyTests.live("disp4", 5, uuid: "theirs")], ["disp4": MetadataEntry(uuid: "mine", values: owned)]),
        ([SnapshotAssemblyTests.live("disp4", 5, uuid: "any")], ["disp4": MetadataEntry(uuid: "", values: owned)]),
        ([SnapshotAssemblyTests.live("byhand", 3, uuid: "b", flags: DomainFlags(shutdown: true))], [:]),
    ]

    @Test(arguments: cases.indices)
    func oneDomainIsWhatTheSnapshotShows(index: Int) {
        let (live, metadata) = Self.cases[index]
        let snapshot = SnapshotAssembly.domains(live: live, metadata: metadata)
        let names = Set(live.map(\.name)).union(metadata.keys)
        for name in names {
            let one = SnapshotAssembly.domain(
                named: name, live: live.first { $0.name == name }, entry: metadata[name])
            #expect(one == snapshot.first { $0.name == name }, "\(name)")
        }
        #expect(SnapshotAssembly.domain(named: "absent", live: nil, entry: nil) == nil)
    }

    @Test func aRecordWithoutADomainIsHalted() throws {
        let one = try #require(
            SnapshotAssembly.domain(named: "disp9", live: nil, entry: MetadataEntry(uuid: "u9", values: Self.owned)))
        #expect(one.power == .halted)
        #expect(one.domid == -1)
        #expect(one.isOwned)
    }

    @Test func aRecordNamingAnotherUUIDIsNotOwned() throws {
        let one = try #require(
            SnapshotAssembly.domain(
                named: "disp4", live: SnapshotAssemblyTests.live("disp4", 5, uuid: "theirs"),
                entry: MetadataEntry(uuid: "mine", values: Self.owned)))
        #expect(one.uuid == "theirs")
        #expect(!one.isOwned)
    }
}
