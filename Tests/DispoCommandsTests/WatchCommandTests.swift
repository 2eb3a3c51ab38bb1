import DispoTestKit
import Foundation
import Testing

/// `dispo watch` as a user runs it: real inotify, a real socket, real signals, on a simulated host.
@Suite(.serialized)
struct WatchCommandTests {
    final class Setup {
        let directory: TemporaryDirectory
        var config: String { directory.path + "/config" }
        var host: String { "sim:\(directory.path)/host.json" }
        var socket: String { directory.path + "/dispo.sock" }

        init(boot: String = "200ms", max: Int = 2) throws {
            directory = try TemporaryDirectory()
            let quickstart = try String(contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml",
                encoding: .utf8)
            try directory.write("config/dispo.yaml", quickstart.replacingOccurrences(of: "max: 2 ", with: "max: \(max) "))
            #expect(try BinaryRunner.run(["sim", "init", "--boot", boot, "--host", host]).status == 0)
        }

        func watch() throws -> RunningBinary {
            try RunningBinary(
                ["watch", "-c", config, "--host", host, "--socket", socket, "--debounce", "100ms"],
                logPath: directory.path + "/watch-\(UUID().uuidString).log")
        }

        func status() throws -> [String: Any] {
            let outcome = try BinaryRunner.run(["status", "--json", "--socket", socket, "--host", host, "-c", config])
            return (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        func ready() throws -> Int {
            let templates = try status()["templates"] as? [[String: Any]]
            return (templates?.first?["preload"] as? [String: Any])?["ready"] as? Int ?? -1
        }

        /// Rewrites the config file the way editors do: temp file and rename over.
        func edit(max: Int) throws {
            let path = config + "/dispo.yaml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let changed = text.replacingOccurrences(of: #"max: \d+ "#, with: "max: \(max) ", options: .regularExpression)
            try directory.write("config/.dispo.yaml.tmp", changed)
            #expect(rename(config + "/.dispo.yaml.tmp", path) == 0)
        }

        func simList() throws -> String {
            try BinaryRunner.run(["sim", "ls", "--host", host]).stdout
        }
    }

    @Test func followsEditsKeepsLastGoodConfigAndStopsCleanly() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        try setup.edit(max: 3)
        #expect(try await eventually { try setup.ready() == 3 }, "\(daemon.log)")

        try setup.directory.write("config/broken.yaml", "apiVersion: dispo/v1\nkind: Templte\nname: x\n")
        #expect(try await eventually { (try setup.status()["config"] as? [String: Any])?["ok"] as? Bool == false })
        #expect(try setup.ready() == 3, "a bad edit changes nothing")
        #expect(daemon.log.contains("broken.yaml:2:7: error: kind: unknown kind"))

        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0, "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: setup.socket), "the socket is removed")
    }

    @Test func theSocketIsPrivate() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { FileManager.default.fileExists(atPath: setup.socket) })
        let attributes = try FileManager.default.attributesOfItem(atPath: setup.socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        daemon.signal(SIGINT)
        #expect(await daemon.wait(seconds: 15) == 0)
    }

    @Test func killNineDuringAPreloadStartThenRestartLeavesNoOrphan() async throws {
        let setup = try Setup(boot: "2s", max: 3)
        let first = try setup.watch()
        #expect(try await eventually { try setup.simList().contains("preload") }, "\(first.log)")
        first.signal(SIGKILL)
        _ = await first.wait(seconds: 5)
        let second = try setup.watch()
        #expect(try await eventually(seconds: 30) { try setup.ready() == 3 }, "\(second.log)")
        let list = try setup.simList()
        let rows = list.split(separator: "\n").filter { $0.contains(" dispo ") }
        #expect(rows.count == 3, "exactly the queue, no orphan:\n\(list)")
        #expect(!list.contains("starting") && !list.contains("creating"))
        second.signal(SIGTERM)
        #expect(await second.wait(seconds: 15) == 0)
    }

    @Test func sighupForcesARescan() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 })
        let before = daemon.log.components(separatedBy: "config loaded").count
        daemon.signal(SIGHUP)
        #expect(try await eventually { daemon.log.components(separatedBy: "config loaded").count > before
            || daemon.log.contains("rescan") })
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0)
    }
}
