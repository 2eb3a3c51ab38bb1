import DispoConfig
import DispoEngine
import DispoTestKit
import DispoWatch
import Testing

@testable import DispoDaemon

/// The controller's config-source seam: reloads follow the source's cues, a slow load holds up no request,
/// and a load that ends after a newer one is not installed. Serialized: a held load blocks a pool thread.
@Suite(.serialized)
struct ConfigSourceTests {
    static func digest(_ yaml: String) -> String {
        ConfigLoad(ConfigLoader(strictModes: false).load(sources: [("dispo.yaml", Array(yaml.utf8))])).digest
    }

    static func configLoads(_ world: ControllerWorld) async -> [ControllerEvent] {
        await world.controller.events(after: 0, waiting: .zero).events.filter { $0.type == .configLoaded }
    }

    @Test func theControllerReloadsThroughTheSourceOnACueOnly() async throws {
        let world = ControllerWorld(config())
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        await world.pass(90)
        #expect(world.config.loads.ended == 1, "resyncs and refills reload nothing without a cue")

        world.edit(config(max: 3))
        #expect(try await world.settle { try await world.queue("default-dvm").count == 3 })
        #expect(world.config.loads.ended == 2)
        #expect(await Self.configLoads(world).map(\.revision) == [Self.digest(config()), Self.digest(config(max: 3))])
        let status = try await world.controller.status()
        #expect(status.config.revision == Self.digest(config(max: 3)))
        await world.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aSlowLoadDoesNotHoldUpAHandOut() async throws {
        let world = ControllerWorld(config())
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let gate = world.config.holdNextLoad()
        world.edit(config(max: 3))
        await gate.waitUntilReached()

        let handout = try await RequestRaceTests.request(world, "default-dvm")
        #expect(handout.preloaded)
        let loads = world.config.loads
        #expect(loads.begun == 2 && loads.ended == 1, "handed out while the load was still held")
        gate.open()
        #expect(await world.settle(seconds: 10) { await Self.configLoads(world).count == 2 })

        let events = await world.controller.events(after: 0, waiting: .zero).events
        let handedOut = try #require(events.first { $0.type == .handedOut })
        let reloaded = try #require(events.last { $0.type == .configLoaded })
        #expect(handedOut.seq < reloaded.seq && reloaded.revision == Self.digest(config(max: 3)))
        await world.stop()
    }

    /// Loads `config()`, then begins a reload of `older` that is held, runs a whole reload of `newer`, and lets
    /// the held one end last.
    static func overtake(older: String, with newer: String) async -> ControllerWorld {
        let world = ControllerWorld(config())
        let controller = world.controller
        await controller.reloadConfig()
        let gate = world.config.holdNextLoad()
        world.config.text = older
        let held = Task { await controller.reloadConfig() }
        await gate.waitUntilReached()
        world.config.text = newer
        await controller.reloadConfig()
        gate.open()
        await held.value
        return world
    }

    @Test(.timeLimit(.minutes(1)))
    func aLoadEndingAfterANewerOneIsNotInstalled() async throws {
        let world = await Self.overtake(older: config(max: 3), with: config(max: 4))
        #expect(world.config.loads.ended == 3)
        #expect(await world.controller.desired?.disposableTemplates["default-dvm"]?.preload.max == 4)
        #expect(await Self.configLoads(world).map(\.revision) == [Self.digest(config()), Self.digest(config(max: 4))])
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedNewerLoadStillWinsOverAnOlderGoodOne() async throws {
        let world = await Self.overtake(older: config(max: 3), with: "kind: Nonsense\n")
        let controller = world.controller
        #expect(await controller.desired?.disposableTemplates["default-dvm"]?.preload.max == 2, "the last good config")
        #expect(await !controller.configErrors.isEmpty, "the newest load's errors are shown")
    }
}

/// The config directory as a source: all-or-nothing loads named by their digest, and the watcher's ticks as cues.
struct DirectorySourceTests {
    @Test func aValidDirectoryLoadsWithItsDigestAsTheRevision() async throws {
        let directory = try TemporaryDirectory(["dispo.yaml": config()])
        let load = await DirectorySource(directory: directory.path, loader: ConfigLoader(strictModes: false)).load()
        #expect(load.isValid && load.state.count == 2)
        #expect(load.digest == ConfigSourceTests.digest(config()) && load.revision == load.digest)
    }

    @Test func aBrokenDirectoryGivesDiagnosticsAndNoObjects() async throws {
        let directory = try TemporaryDirectory([
            "dispo.yaml": config(), "more.yaml": "apiVersion: dispo/v1\nkind: Template\nname: [oops\n",
        ])
        let load = await DirectorySource(directory: directory.path, loader: ConfigLoader(strictModes: false)).load()
        #expect(!load.isValid && load.diagnostics.hasErrors)
        #expect(load.state.count == 0 && load.digest.isEmpty, "nothing half-loaded")
    }

    @Test(arguments: [
        (3, ["a.yaml", "b/c.yaml"], "3 events: a.yaml, b/c.yaml"), (1, [], "1 event"),
        (0, [], "periodic rescan (inotify watches are not set)"),
    ])
    func aWatcherTickIsACue(events: Int, paths: [String], detail: String) {
        let now = ContinuousClock.now
        let tick = ConfigChange(events: events, firstEventAt: now, lastEventAt: now, paths: paths)
        #expect(DirectorySource.cue(tick).detail == detail)
    }
}
