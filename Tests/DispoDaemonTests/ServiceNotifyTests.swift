import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Synchronization
import Testing

/// systemd's notify protocol, received on a real `AF_UNIX` datagram socket: READY only after the first pass,
/// RELOADING (with MONOTONIC_USEC) then READY on a rescan, STOPPING, STATUS, and watchdog pings that stop when the
/// controller's loop is wedged.
struct ServiceNotifyTests {
    @Test(arguments: [false, true])
    func aDatagramReachesAPathOrAnAbstractSocket(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = ServiceNotifier(socketName: socket.name)
        #expect(notifier.send(.ready(status: "queues a 1/2;\nno errors")) == nil)
        #expect(notifier.send(.watchdog) == nil)
        #expect(socket.messages == ["READY=1\nSTATUS=queues a 1/2; no errors\n", "WATCHDOG=1\n"])
    }

    @Test func withoutASocketNothingIsSent() {
        #expect(!ServiceNotifier.disabled.isEnabled)
        #expect(ServiceNotifier(socketName: "").isEnabled == false)
        #expect(ServiceNotifier.disabled.send(.ready(status: "x")) == nil)
    }

    @Test func aSocketNobodyListensOnIsAnErrorValue() throws {
        let folder = try NotifySocket()
        let error = ServiceNotifier(socketName: folder.name + "-missing").send(.watchdog)
        #expect(error?.description.contains("sendto") == true)
        let long = ServiceNotifier(socketName: "/" + String(repeating: "x", count: 200)).send(.watchdog)
        #expect(long?.message.contains("longer") == true)
    }

    struct WatchdogCase: Sendable, CustomTestStringConvertible {
        var environment: [String: String]
        var interval: Double?
        var testDescription: String { "\(environment) -> \(interval.map { "\($0)" } ?? "off")" }
    }

    @Test(arguments: [
        WatchdogCase(environment: [:], interval: nil),
        WatchdogCase(environment: ["WATCHDOG_USEC": "60000000"], interval: 60),
        WatchdogCase(environment: ["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "4242"], interval: 60),
        WatchdogCase(environment: ["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "17"], interval: nil),
        WatchdogCase(environment: ["WATCHDOG_USEC": "0"], interval: nil),
        WatchdogCase(environment: ["WATCHDOG_USEC": "soon"], interval: nil),
    ])
    func watchdogFollowsSdWatchdogEnabled(_ example: WatchdogCase) {
        let watchdog = Watchdog.from(environment: example.environment, pid: 4242)
        #expect(watchdog?.interval == example.interval)
        if let watchdog { #expect(watchdog.pingPeriod == watchdog.interval / 2) }
    }

    @Test func readyOnlyOnceTheFirstPassIsPlannedAndStarted() async throws {
        let socket = try NotifySocket()
        let gated = Mutex<GatedHost?>(nil)
        let world = ControllerWorld(
            config(),
            host: { sim in
                let host = GatedHost(sim)
                host.shut(lettingThrough: 1)  // the controller's start-up reads the history; its first pass then waits
                gated.withLock { $0 = host }
                return host
            }, notifier: ServiceNotifier(socketName: socket.name))
        let host = try #require(gated.withLock { $0 })
        world.start()
        await world.pass(5)
        #expect(await world.controller.desired != nil, "the config is loaded")
        #expect(host.held == 1, "the first pass waits for the host")
        #expect(socket.messages(with: "READY=1").isEmpty, "no READY before a plan: \(socket.messages)")
        #expect(await world.controller.lastPlan == nil)
        host.open()
        #expect(await world.settle(seconds: 1) { !socket.messages(with: "READY=1").isEmpty })
        let plan = try #require(await world.controller.lastPlan, "READY comes after a plan")
        #expect(plan.actions.contains { $0.op == .create }, "the first pass started the refill")
        let ready = try #require(socket.messages(with: "READY=1").first)
        #expect(ready.contains("STATUS=queues default-dvm 0/2; no errors"), "\(ready)")
        #expect(socket.messages(with: "READY=1").count == 1)
        // Later passes only update the status line when it changes.
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        await world.pass(1)
        #expect(socket.messages(with: "READY=1").count == 1)
        #expect(
            socket.messages.last?.contains("STATUS=queues default-dvm 2/2; no errors") == true, "\(socket.messages)")
        await world.stop()
    }

    @Test func anInvalidFirstConfigIsReadyWithItsErrors() async throws {
        let socket = try NotifySocket()
        let world = ControllerWorld("kind: Nonsense\n", notifier: ServiceNotifier(socketName: socket.name))
        world.start()
        #expect(await world.settle(seconds: 5) { !socket.messages(with: "READY=1").isEmpty })
        let ready = try #require(socket.messages(with: "READY=1").first)
        #expect(ready.contains("STATUS=no config in force; config: "), "\(ready)")
        #expect(ready.contains("(nothing applied)"), "\(ready)")
        await world.stop()
    }

    @Test func aRescanSaysReloadingWithTheMonotonicTimeThenReady() async throws {
        let socket = try NotifySocket()
        let world = ControllerWorld(config(), notifier: ServiceNotifier(socketName: socket.name))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        socket.reset()
        let before = ServiceNotifier.monotonicMicroseconds()
        world.edit(config(max: 3))
        world.controller.trigger(.rescan)  // what SIGHUP (systemctl reload) does
        let after = ServiceNotifier.monotonicMicroseconds()
        let reloading = try #require(socket.messages.first)
        let lines = reloading.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst(15)) })
        #expect(stamp >= before && stamp <= after, "MONOTONIC_USEC is CLOCK_MONOTONIC in µs")
        #expect(socket.messages(with: "READY=1").isEmpty, "READY waits for the rescan's pass")
        #expect(await world.settle(seconds: 1) { !socket.messages(with: "READY=1").isEmpty })
        let ready = try #require(socket.messages(with: "READY=1").first)
        #expect(ready.contains("STATUS=queues default-dvm 2/3"), "the rescan's pass planned the new max: \(ready)")
        #expect(await world.controller.desired?.disposableTemplates["default-dvm"]?.preload.max == 3)
        await world.stop()
    }

    @Test func stoppingIsAnnounced() async throws {
        let socket = try NotifySocket()
        let world = ControllerWorld(config(), notifier: ServiceNotifier(socketName: socket.name))
        world.start()
        #expect(await world.settle(seconds: 5) { !socket.messages(with: "READY=1").isEmpty })
        await world.stop()
        let stopping = socket.messages(with: "STOPPING=1")
        #expect(stopping.count == 1)
        #expect(stopping.first?.contains("STATUS=stopping") == true)
    }

    @Test func watchdogPingsStopWhileTheLoopIsWedged() async throws {
        let socket = try NotifySocket()
        let gated = Mutex<GatedHost?>(nil)
        let world = ControllerWorld(
            config(),
            host: { sim in
                let host = GatedHost(sim)
                gated.withLock { $0 = host }
                return host
            }, notifier: ServiceNotifier(socketName: socket.name), watchdog: Watchdog(interval: 10))
        let host = try #require(gated.withLock { $0 })
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        socket.reset()
        await world.pass(30)
        let alive = socket.messages(with: "WATCHDOG=1").count
        #expect(alive >= 5 && alive <= 7, "a ping every 5 s of 30: \(alive)")
        // Wedge: the next pass waits forever for the host.
        host.shut()
        world.controller.trigger(.host)
        #expect(await world.settle(seconds: 5) { host.held > 0 })
        socket.reset()
        await world.pass(60)
        #expect(socket.messages(with: "WATCHDOG=1").isEmpty, "a wedged loop must not ping: \(socket.messages)")
        // Unwedged, the loop pings again.
        host.open()
        #expect(await world.settle(seconds: 11) { !socket.messages(with: "WATCHDOG=1").isEmpty })
        await world.stop()
    }
}
