import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Synchronization
import Testing

/// The controller owns the preload queues while it runs (the lease in the host metadata): it hands its preloads
/// out without a durable claim, and no other process takes them meanwhile.
struct ControllerLeaseTests {
    @Test func theControllerHandsOutItsOwnQueueWithoutAClaim() async throws {
        let counting = Mutex<CountingHost?>(nil)
        let world = ControllerWorld(config(max: 2, delay: "0"), host: { sim in
            let host = CountingHost(sim)
            counting.withLock { $0 = host }
            return host
        })
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let host = try #require(counting.withLock { $0 })
        #expect(try await world.snapshot.metadata[HostMetadataKey.controller] == String(getpid()))
        let queue = try await world.queue("default-dvm")
        let handout = try await RequestRaceTests.request(world, "default-dvm")
        #expect(handout.preloaded && queue.contains(handout.name))
        let request = try #require(host.handOutRequests.last)
        #expect(request.expected.isEmpty && request.claim.isEmpty, "no claim: the controller owns its queue")
        #expect(try await world.settle {
            try await world.snapshot.domain(named: handout.name)?.metadata[MetadataKey.stage] == "used"
        }, "the used record follows")
        await world.stop()
        #expect(try await world.snapshot.metadata[HostMetadataKey.controller] == nil, "the lease goes with it")
    }

    @Test func releaseRightAfterAHandOutWaitsForItsRecord() async throws {
        let world = ControllerWorld(config(max: 2, delay: "0"))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let handout = try await world.controller.request(target: "default-dvm", source: nil)
        let controller = world.controller
        let done = Done()
        let release = Task { () -> String? in
            defer { done.set() }
            do {
                try await controller.release(handout.name)
                return nil
            } catch {
                return "\(error)"
            }
        }
        await world.settle(seconds: 60) { done.isSet }
        #expect(await release.value == nil)
        #expect(try await world.settle { try await world.snapshot.domain(named: handout.name) == nil })
        await world.stop()
    }

    @Test func anotherProcessLeavesTheQueuesOfALiveController() async throws {
        let world = try await SimWorldForLease.filled()
        // A process whose name says dispo, standing in for a controller running elsewhere.
        let directory = try TemporaryDirectory()
        let fake = directory.path + "/dispo-fake-controller"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fake)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fake)
        process.arguments = ["60"]
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL) }
        try await world.host.updateHostMetadata([HostMetadataKey.controller: String(process.processIdentifier)])
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3))
        await #expect(throws: RequestError.self) {
            try await broker.request(.template("default-dvm"), source: nil, desired: world.desired)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let handout = try await broker.request(.template("default-dvm"), source: nil, desired: world.desired)
        #expect(handout.preloaded, "a stale lease (the controller is gone) locks nothing")
    }
}

/// A simulated host with a full queue of 2, for brokers outside a controller.
struct SimWorldForLease {
    let clock: VirtualClock
    let host: SimHost
    let desired: DesiredState

    static func filled() async throws -> SimWorldForLease {
        let clock = VirtualClock()
        let host = SimHost(store: MemorySimStore(SimState(bootSeconds: 2, seed: 7)), clock: clock)
        let desired = ConfigLoader(strictModes: false).load(sources: [("a.yaml", Array(config(max: 2).utf8))]).state
        _ = try await Reconciler(host: host, clock: clock).converge(desired)
        return SimWorldForLease(clock: clock, host: host, desired: desired)
    }
}
