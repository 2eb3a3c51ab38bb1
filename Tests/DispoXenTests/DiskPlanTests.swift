import DispoConfig
import DispoXen
import Testing

struct DiskPlanTests {
    @Test func modesMapToFilesAndAccess() {
        let template = Template(
            name: "t", kernel: "/k",
            disks: [.init(target: "xvda", source: "/img/root", mode: .ro), .init(target: "xvdb", source: "/img/home", mode: .snapshot)],
            volatile: .mebibytes(1024))
        let disks = DiskPlan.disks(of: template, directory: "/state/disp1")
        #expect(
            disks == [
                PlannedDisk(target: "xvda", path: "/img/root", writable: false, origin: .shared),
                PlannedDisk(target: "xvdb", path: "/state/disp1/xvdb.img", writable: true, origin: .copy(source: "/img/home")),
                PlannedDisk(target: "xvdc", path: "/state/disp1/volatile.img", writable: true, origin: .fresh(.mebibytes(1024))),
            ])
        #expect(disks.map(\.isOwned) == [false, true, true])
    }

    @Test(arguments: [
        ([String](), "xvdb"), (["xvda"], "xvdb"), (["xvda", "xvdb"], "xvdc"), (["xvdb"], "xvdc"), (["xvda", "xvdc"], "xvdb"),
    ])
    func volatileTakesTheFirstFreeDevice(used: [String], expected: String) {
        let template = Template(
            name: "t", kernel: "/k", disks: used.map { .init(target: $0, source: "/img/\($0)") }, volatile: .mebibytes(1))
        #expect(DiskPlan.disks(of: template, directory: "/d").last?.target == expected)
    }

    @Test func noVolatileNoExtraDisk() {
        #expect(DiskPlan.disks(of: Template(name: "t", kernel: "/k"), directory: "/d").isEmpty)
    }

    @Test func aTargetNeverEscapesTheDirectory() {
        let template = Template(name: "t", kernel: "/k", disks: [.init(target: "../x", source: "/img", mode: .snapshot)])
        #expect(DiskPlan.disks(of: template, directory: "/d").first?.path == "/d/___x.img")
    }
}
