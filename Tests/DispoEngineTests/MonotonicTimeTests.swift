import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Testing

/// Delays, back-offs and queue order against wall-clock steps: what waits runs on the monotonic clock, what is
/// recorded on the wall clock never goes backwards.
struct MonotonicTimeTests {
    static let delayed = baseYAML.replacingOccurrences(of: "preload: { max: 3 }", with: "preload: { max: 2, delay: 30s }")
        + "---\napiVersion: dispo/v1\nkind: System\ndefault_dispvm: default-dvm\n"

    /// The refill wait's end of a plan (monotonic), or nil when it does not wait for the delay.
    static func delayUntil(_ plan: Plan) -> Double? {
        plan.waits.lazy.compactMap { wait -> Double? in
            if case .delay(let until) = wait.kind { return until }
            return nil
        }.first
    }

    static func backoffUntil(_ plan: Plan) -> Double? {
        plan.waits.lazy.compactMap { wait -> Double? in
            if case .backoff(let until) = wait.kind { return until }
            return nil
        }.first
    }

    @Test func wallClockStepsDoNotMoveARefillDelay() async throws {
        let world = SimWorld()
        let desired = desiredState(Self.delayed)
        let reconciler = world.reconciler()
        _ = try await reconciler.converge(desired)
        _ = try await reconciler.pass(desired)  // publishes the view the lease owner hands out from
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 2),
            coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let usedAt = world.clock.now()
        _ = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        await reconciler.coordinator.settle()
        let (before, _) = try await reconciler.pass(desired)
        let until = try #require(Self.delayUntil(before), "\(before.waits)")
        #expect(abs(until - (usedAt + 30)) < 0.5, "30 s after the use: \(until - usedAt)")

        world.clock.stepWall(by: 3600)
        let (forward, ranForward) = try await reconciler.pass(desired)
        #expect(ranForward == 0, "an hour's wall-clock step forward does not end the delay")
        #expect(Self.delayUntil(forward) == until)

        world.clock.stepWall(by: -7200)
        let (back, ranBack) = try await reconciler.pass(desired)
        #expect(ranBack == 0)
        #expect(Self.delayUntil(back) == until, "a step back does not lengthen it either")

        world.clock.advance(by: 31)
        let (_, ran) = try await reconciler.pass(desired)
        #expect(ran == 1, "the refill follows once 30 monotonic seconds have passed")
    }

    @Test func wallClockStepsDoNotMoveABackOff() async throws {
        let world = SimWorld()
        let desired = desiredState(baseYAML)
        _ = try await world.admin.injectFault(operation: .create, count: 100)
        let reconciler = world.reconciler(ReconcileOptions(backoffBase: 20, maxAttempts: nil))
        let (_, ran) = try await reconciler.pass(desired)
        #expect(ran == 1, "one creation tried (slow start) and failed")
        let (blocked, _) = try await reconciler.pass(desired)
        let until = try #require(Self.backoffUntil(blocked), "\(blocked.waits)")
        for step in [3600.0, -7200.0] {
            world.clock.stepWall(by: step)
            let (plan, ranNow) = try await reconciler.pass(desired)
            #expect(ranNow == 0, "no retry after a wall-clock step of \(step) s")
            #expect(Self.backoffUntil(plan) == until)
        }
    }

    @Test func aWallClockStepBackDoesNotReorderTheQueue() async throws {
        let world = SimWorld()
        let desired = desiredState(baseYAML)
        let reconciler = world.reconciler(ReconcileOptions(slowStart: false))
        var limited = desired
        limited.disposableTemplates["default-dvm"]?.preload.max = 1
        _ = try await reconciler.converge(limited)
        let first = try await BrokerTests.queue(world)
        world.clock.stepWall(by: -86_400)
        _ = try await reconciler.converge(desired)
        let queue = PreloadQueue.queue(of: "default-dvm", in: try await world.snapshot()).map(\.name)
        #expect(queue.count == 3)
        #expect(queue.first == first.first, "the preload made before the step stays the oldest: \(queue)")
    }
}
