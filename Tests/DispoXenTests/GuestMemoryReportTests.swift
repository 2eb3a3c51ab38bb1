import DispoConfig
import DispoHost
import DispoXen
import Testing

/// The guest's meminfo report (`/local/domain/<domid>/memory/meminfo`, used KiB in decimal): untrusted, parsed
/// strictly, and what a snapshot shows of it.
struct GuestMemoryReportTests {
    @Test(arguments: [
        ("256000", 256_000), ("0", 0), ("007", 7), ("1", 1), ("1099511627776", 1 << 40), ("9999999999", 9_999_999_999),
    ] as [(String, UInt64)])
    func aPlainNumberOfKiBIsAReport(text: String, kibibytes: UInt64) {
        #expect(GuestMemoryReport.parse(text) == Size(kibibytes: kibibytes))
    }

    @Test(arguments: [
        "", " ", "256000\n", " 256000", "256000 ", "+256000", "-1", "25e4", "2.5", "256000KiB", "0x3e800", "256,000",
        "２５６", "٢٥٦", "1099511627777", "9999999999999", "99999999999999", "00000000000001", "18446744073709551616",
        "256000\u{0}", "abc",
    ])
    func anythingElseIsNotAReport(text: String) {
        #expect(GuestMemoryReport.parse(text) == nil)
    }

    @Test func theKeyIsQubesMeminfoInTheGuestsOwnTree() {
        #expect(GuestMemoryReport.xenstoreKey == "memory/meminfo")
        #expect(XenstorePaths.guestMeminfo(12) == "/local/domain/12/memory/meminfo")
    }

    @Test func aSnapshotShowsTheParsedReportOfEachLiveDomain() {
        let live = [
            SnapshotAssemblyTests.live("a", 1, uuid: "ua"), SnapshotAssemblyTests.live("b", 2, uuid: "ub"),
            SnapshotAssemblyTests.live("c", 3, uuid: "uc"), SnapshotAssemblyTests.live("d", 4, uuid: "ud"),
        ]
        let domains = SnapshotAssembly.domains(
            live: live, metadata: ["gone": MetadataEntry(uuid: "ug", values: SnapshotAssemblyTests.owned)],
            reports: [1: "256000", 2: "lots", 3: ""])
        #expect(domains.map(\.reportedUse) == [.mebibytes(250), nil, nil, nil, nil])
        #expect(domains.map(\.memory).prefix(4).allSatisfy { $0 == .mebibytes(400) }, "current_memkb, not the target")
        let one = SnapshotAssembly.domain(named: "a", live: live[0], entry: nil, report: "204800")
        #expect(one?.reportedUse == .mebibytes(200))
        #expect(SnapshotAssembly.domain(named: "gone", live: nil, entry: nil, report: "204800") == nil)
    }
}
