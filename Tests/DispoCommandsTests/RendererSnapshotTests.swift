@testable import DispoCommands
import DispoConfig
import DispoEngine
import DispoHost
import SnapshotTesting
import Testing

/// The human diff and status output, without colour, kept as snapshots.
struct RendererSnapshotTests {
    static let yaml = """
        apiVersion: dispo/v1
        kind: Template
        name: debian-12
        kernel: /boot/vmlinuz
        revision: "2"
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: default-dvm
        template: debian-12
        preload: { max: 3 }
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work
        template: debian-12
        memory: 1GiB
        preload: { max: 4 }
        ---
        apiVersion: dispo/v1
        kind: NamedDisposable
        name: sys-net
        template: default-dvm
        memory: 300MiB
        state: running
        ---
        apiVersion: dispo/v1
        kind: System
        default_dispvm: default-dvm
        preload: { max: 2, threshold: 1GiB }

        """

    static func scene() -> (DesiredState, Revisions, HostSnapshot) {
        let desired = ConfigLoader(strictModes: false).load(sources: [("c.yaml", Array(yaml.utf8))]).state
        let revisions = Revisions.compute(desired) { _ in "" }
        func domain(_ name: String, _ domid: Int, _ power: PowerState, _ metadata: [String: String]) -> Domain {
            Domain(name: name, uuid: "uuid-\(name)", domid: domid, power: power, memory: .mebibytes(400),
                maxmem: .mebibytes(4000), metadata: metadata)
        }
        func owned(_ role: Role, _ template: String, _ stage: Stage, revision: String?, created: Int) -> [String: String] {
            ["owner": "dispo", "role": role.rawValue, "template": template, "stage": stage.rawValue,
                "revision": revision ?? "old", "created": String(created)]
        }
        let current = revisions.disposableTemplates["default-dvm"]
        let snapshot = HostSnapshot(
            domains: [
                domain("disp12", 3, .paused, owned(.preload, "default-dvm", .paused, revision: current, created: 10)),
                domain("disp345", 4, .paused, owned(.preload, "default-dvm", .paused, revision: current, created: 20)),
                domain("disp9", 5, .paused, owned(.preload, "default-dvm", .paused, revision: current, created: 30)),
                domain("disp77", 6, .halted, owned(.unnamed, "work", .used, revision: nil, created: 5)),
                domain("disp78", 7, .running, owned(.unnamed, "work", .used, revision: nil, created: 6)),
                domain("sys-net", 2, .running, owned(.named, "default-dvm", .ready, revision: "old", created: 1)),
                domain("personal", 1, .running, [:]),
            ],
            freeMemory: .mebibytes(3000), totalMemory: .mebibytes(16384))
        return (desired, revisions, snapshot)
    }

    @Test func diffOutput() {
        let (desired, revisions, snapshot) = Self.scene()
        let plan = Planner.plan(PlanInput(desired: desired, revisions: revisions, snapshot: snapshot, now: 100))
        assertSnapshot(of: PlanRenderer(terminal: .plain).render(plan), as: .lines)
    }

    @Test func statusOutput() {
        let (desired, revisions, snapshot) = Self.scene()
        let report = StatusReport.make(desired: desired, configErrors: [], revisions: revisions, snapshot: snapshot,
            backend: "sim", location: "sim:/var/lib/dispo/host.json")
        assertSnapshot(of: StatusRenderer(terminal: .plain).render(report), as: .lines)
    }
}
