@testable import DispoEngine
import DispoConfig
import DispoHost
import Testing

/// ``PlanInput/leave(_:_:)``: the holder's work seen before and after the snapshot is all left alone.
struct HolderWorkTests {
    static func preload(_ name: String, _ stage: Stage, power: PowerState = .running) -> Domain {
        Domain(name: name, uuid: "uuid-\(name)", domid: 1, power: power, memory: .mebibytes(400),
            maxmem: .mebibytes(400),
            metadata: ["owner": "dispo", "role": "preload", "template": "dvm", "stage": stage.rawValue])
    }

    static func input(_ domains: [Domain]) -> PlanInput {
        PlanInput(desired: .init(), revisions: .init(),
            snapshot: HostSnapshot(domains: domains, freeMemory: .mebibytes(8192), totalMemory: .mebibytes(16384)), now: 0)
    }

    @Test func workSeenBeforeOrAfterTheSnapshotIsInFlight() {
        var input = Self.input([Self.preload("disp1", .starting), Self.preload("disp2", .paused, power: .paused)])
        let ended = InFlightEntry(name: "disp2", op: "create", role: "preload", template: "dvm")
        let begun = InFlightEntry(name: "disp3", op: "create", role: "preload", template: "dvm")
        let running = InFlightEntry(name: "disp1", op: "create", role: "preload", template: "dvm")
        let handOut = InFlightEntry(name: "disp9", op: "hand-out", role: nil, template: nil)
        let left = input.leave(.known([running, ended, handOut]), .known([running, begun]))
        #expect(left.map(\.name) == ["disp1", "disp2", "disp3", "disp9"])
        #expect(input.inFlight == ["disp1", "disp2", "disp3", "disp9"])
        #expect(input.creatingPreloads == ["dvm": 3], "each creation counts once, whether done, running or begun")
    }

    @Test func halfMadeTakesOwnedDomainsThatAreUpAndNotComplete() {
        var named = Self.preload("sys-net", .creating)
        named.metadata["role"] = "named"
        var requested = Self.preload("disp5", .requested)
        requested.metadata["role"] = "unnamed"
        var input = Self.input([
            Self.preload("disp1", .starting), Self.preload("disp2", .paused, power: .paused),
            Self.preload("disp3", .creating, power: .crashed), named, requested,
        ])
        let left = input.leave(.halfMade, .halfMade)
        #expect(left.map(\.name) == ["disp1", "disp5", "sys-net"])
        #expect(left.map(\.op) == ["create", "hand-out", "start"])
        #expect(input.creatingPreloads == ["dvm": 1])
    }
}
