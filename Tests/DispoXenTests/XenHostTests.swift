import DispoConfig
import DispoHost
import DispoTestKit
@testable import DispoXen
import Foundation
import Testing

/// What can be checked of the host itself without a hypervisor (the e2e harness covers the rest).
struct XenHostTests {
    static var isXenControlDomain: Bool {
        (try? String(contentsOfFile: "/proc/xen/capabilities", encoding: .utf8))?.contains("control_d") == true
    }

    @Test(.enabled(if: !isXenControlDomain, "needs a machine that is not a Xen dom0"))
    func openingFailsClearlyWithoutXen() throws {
        let error = #expect(throws: HostError.self) {
            _ = try XenHost(options: XenHost.Options(echoLibxlErrors: false))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("dom0") == true)
    }

    @Test func defaultOptions() {
        let options = XenHost.Options()
        #expect(options.stateDirectory == "/var/lib/dispo/disks")
        #expect(options.xenstoreRoot == "/dispo")
    }
}

/// The files a domain owns, made the way `create` makes them (off the worker, before libxl runs).
struct DomainFilesTests {
    @Test func snapshotCopiesAndVolatileDisksGoInTheDomainsDirectory() throws {
        let directory = try TemporaryDirectory()
        let root = try directory.write("images/root.img", "root filesystem")
        let home = try directory.write("images/home.img", "home filesystem")
        let template = Template(
            name: "t", kernel: "/k",
            disks: [.init(target: "xvda", source: root, mode: .ro), .init(target: "xvdb", source: home, mode: .snapshot)],
            volatile: .mebibytes(64))
        let domainDirectory = directory.path + "/state/disp5"
        let disks = DiskPlan.disks(of: template, directory: domainDirectory)
        let methods = try XenHost.makeFiles(disks, in: domainDirectory)
        #expect(methods.map(\.0.target) == ["xvdb"])
        #expect(try String(contentsOfFile: domainDirectory + "/xvdb.img", encoding: .utf8) == "home filesystem")
        #expect(try FileManager.default.attributesOfItem(atPath: domainDirectory + "/volatile.img")[.size] as? Int == 64 << 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: domainDirectory).sorted() == ["volatile.img", "xvdb.img"])
        try DiskFiles.removeDirectory(domainDirectory)
        #expect(FileManager.default.fileExists(atPath: root))  // the shared image is never the domain's
    }

    @Test func onlySharedDisksMakeNoDirectory() throws {
        let directory = try TemporaryDirectory()
        let template = Template(name: "t", kernel: "/k", disks: [.init(target: "xvda", source: "/img", mode: .ro)])
        let domainDirectory = directory.path + "/state/disp6"
        #expect(try XenHost.makeFiles(DiskPlan.disks(of: template, directory: domainDirectory), in: domainDirectory).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: domainDirectory))
    }

    @Test(arguments: ["", "a/b", ".", "..", String(repeating: "x", count: 65)])
    func namesThatCouldEscapeTheStateDirectoryAreRefused(name: String) {
        #expect(throws: HostError.self) { try XenHost.validate(name) }
    }

    @Test func metadataRecordsDescribeTheirDomainByUUID() {
        let domain = LiveDomain(name: "d", uuid: "u1", domid: 3, flags: DomainFlags(), currentKiB: 0, maxKiB: 0)
        #expect(MetadataEntry(uuid: "u1", values: [:]).describes(domain))
        #expect(MetadataEntry(uuid: "", values: [:]).describes(domain))
        #expect(!MetadataEntry(uuid: "u2", values: [:]).describes(domain))
    }
}

/// Which domains dispo may change (``Ownership``): the rule behind every changing operation of ``XenHost``.
struct OwnershipTests {
    static let owned = [MetadataKey.owner: MetadataKey.ownerValue]
    static let live = LiveDomain(name: "d", uuid: "u1", domid: 3, flags: DomainFlags(), currentKiB: 0, maxKiB: 0)

    @Test(arguments: [
        (nil, nil, HostError.Code.notFound),
        (live, nil, .notOwned),  // made with xl create: no record
        (live, MetadataEntry(uuid: "u1", values: [:]), .notOwned),  // a record without owner=dispo
        (live, MetadataEntry(uuid: "u2", values: owned), .notOwned),  // a stale record, another domain of its name
        (nil, MetadataEntry(uuid: "u1", values: [MetadataKey.role: "preload"]), .notOwned),
    ] as [(LiveDomain?, MetadataEntry?, HostError.Code)])
    func refused(live: LiveDomain?, entry: MetadataEntry?, code: HostError.Code) {
        let error = #expect(throws: HostError.self) { _ = try Ownership.check("d", live: live, entry: entry) }
        #expect(error?.code == code)
        #expect(error?.domain == "d")
    }

    @Test(arguments: [
        (live, MetadataEntry(uuid: "u1", values: owned)),
        (live, MetadataEntry(uuid: "", values: owned)),  // no UUID recorded (an older dispo)
        (nil, MetadataEntry(uuid: "u1", values: owned)),  // a bare record: dispo may remove it
    ] as [(LiveDomain?, MetadataEntry)])
    func allowed(live: LiveDomain?, entry: MetadataEntry) throws {
        #expect(try Ownership.check("d", live: live, entry: entry) == entry)
    }
}
