import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoTestKit
import Foundation
import Testing

/// `dispo diff` beside a running controller (``ControllerPlan``): a preload the controller is making is in flight,
/// never "interrupted; remove it". The controller runs on the simulated host in manual virtual time, served on a
/// temporary socket; time does not move, so its first creation stays half-made (booting) for the whole test.
@Suite(.serialized)
struct ControllerPlanTests {
    static func desired(_ yaml: String) -> DesiredState {
        ConfigLoader(strictModes: false).load(sources: [("dispo.yaml", Array(yaml.utf8))]).state
    }

    /// A served controller with one preload creation in flight, and that preload's name.
    static func creating() async throws -> (APIServerTests.Served, String) {
        let served = try await APIServerTests.Served(config(max: 2))
        let world = served.world
        let started = await eventually {
            guard await world.controller.reconciler.inFlightCount == 1 else { return false }
            return (try? await !halfMade(world.snapshot).isEmpty) ?? false
        }
        #expect(started, "the controller's first pass starts one creation")
        let name = try #require(try await halfMade(world.snapshot).first)
        return (served, name)
    }

    /// What a one-shot plan of the same host does with `name`: the actions naming it.
    static func actions(on name: String, _ report: DiffReport) -> [DiffReport.Entry] {
        report.actions.filter { $0.name == name }
    }

    /// A fresh one-shot reconciler on the world's host, as `dispo diff` makes one.
    static func oneShot(_ served: APIServerTests.Served) -> Reconciler {
        Reconciler(host: served.world.host, clock: served.world.clock)
    }

    /// The one-shot plan of the config with `max` preloads beside the served controller.
    static func besideController(_ served: APIServerTests.Served, max: Int) async throws -> DiffReport {
        try await ControllerPlan.beside(
            controller: served.socket, desired(config(max: max)), reconciler: oneShot(served))
    }

    @Test func planningAloneCallsTheControllersCreationInterrupted() async throws {
        let (served, name) = try await Self.creating()
        let alone = try await ControllerPlan.alone(Self.desired(config(max: 2)), reconciler: Self.oneShot(served))
        let destroy = Self.actions(on: name, alone)
        #expect(destroy.count == 1 && destroy.first?.detail.hasSuffix("; remove it") == true, "\(alone.actions)")
        #expect(alone.source?.kind == "host" && alone.inFlight == [])
        await served.stop()
    }

    @Test func theSameConfigShowsTheControllersOwnPlanWithItsWorkInFlight() async throws {
        let (served, name) = try await Self.creating()
        let desired = Self.desired(config(max: 2))
        let report = try await Self.besideController(served, max: 2)
        #expect(Self.actions(on: name, report).isEmpty, "\(report.actions)")
        #expect(!report.actions.contains { $0.detail.contains("interrupted") }, "\(report.actions)")
        #expect(report.source?.kind == "controller", "\(String(describing: report.source))")
        #expect(report.source?.pid == getpid() && report.source?.socket == served.socket)
        #expect(report.source?.revision == Digest.config(desired) && report.source?.inForce == report.source?.revision)
        let entry = InFlightEntry(name: name, op: "create", role: "preload", template: "default-dvm")
        #expect(report.inFlight == [entry])
        #expect(report.actions.map(\.op) == ["create"], "the second preload is still to make: \(report.actions)")

        let (code, body) = try await served.call("GET", "/v1/plan")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(code == 200 && (json["source"] as? [String: Any])?["kind"] as? String == "controller", "\(body)")
        let inFlight = json["in_flight"] as? [[String: Any]]
        #expect(inFlight?.first?["name"] as? String == name && inFlight?.first?["op"] as? String == "create", "\(body)")
        await served.stop()
    }

    @Test func anotherConfigIsPlannedHereLeavingTheControllersWorkAlone() async throws {
        let (served, name) = try await Self.creating()
        let desired = Self.desired(config(max: 3))
        let report = try await Self.besideController(served, max: 3)
        #expect(report.source?.kind == "beside-controller", "\(String(describing: report.source))")
        #expect(report.source?.revision == Digest.config(desired))
        #expect(report.source?.inForce == Digest.config(Self.desired(config(max: 2))))
        #expect(report.inFlight?.map(\.name) == [name])
        #expect(Self.actions(on: name, report).isEmpty, "\(report.actions)")
        #expect(report.actions.map(\.op) == ["create", "create"], "3 wanted, 1 in flight: \(report.actions)")

        let restart = try await ControllerPlan.beside(
            controller: served.socket, Self.desired(config(max: 2)), reconciler: Self.oneShot(served), ownPlan: false)
        #expect(restart.source?.kind == "beside-controller" && restart.source?.revision == restart.source?.inForce)
        #expect(Self.actions(on: name, restart).isEmpty && restart.actions.map(\.op) == ["create"])
        await served.stop()
    }

    @Test func besideAHolderWithoutAnAPIHalfMadeDomainsAreItsWork() async throws {
        let (served, name) = try await Self.creating()
        let report = try await ControllerPlan.beside(
            holder: 42, Self.desired(config(max: 2)), reconciler: Self.oneShot(served))
        #expect(report.source?.kind == "beside-holder" && report.source?.pid == 42)
        #expect(report.inFlight == [InFlightEntry(name: name, op: "create", role: "preload", template: "default-dvm")])
        #expect(Self.actions(on: name, report).isEmpty && report.actions.map(\.op) == ["create"], "\(report.actions)")
        await served.stop()
    }

    @Test func noControllerAnsweringIsAnErrorTheCommandFallsBackFrom() async throws {
        let (served, _) = try await Self.creating()
        let nowhere = served.directory.path + "/nothing.sock"
        await #expect(throws: (any Error).self) {
            try await ControllerPlan.beside(
                controller: nowhere, Self.desired(config(max: 2)), reconciler: Self.oneShot(served))
        }
        await served.stop()
    }
}
