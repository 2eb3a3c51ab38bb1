import DispoTestKit
import Foundation
import Testing

/// One controller per host, explicit flags win, read-only commands never write: the built binary on simulated
/// hosts, as a user would run it.
@Suite(.serialized)
struct HostOwnershipTests {
    final class Setup {
        let directory: TemporaryDirectory
        var config: String { directory.path + "/config" }
        var host: String { "sim:\(hostPath)" }
        var hostPath: String { directory.path + "/host.json" }
        var socket: String { directory.path + "/dispo.sock" }

        init() throws {
            directory = try TemporaryDirectory()
            let quickstart = try String(
                contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml", encoding: .utf8)
            try directory.write("config/dispo.yaml", quickstart)
            #expect(try BinaryRunner.run(["sim", "init", "--boot", "100ms", "--host", host]).status == 0)
        }

        func watch(socket: String? = nil, host: String? = nil) throws -> RunningBinary {
            try RunningBinary(
                ["watch", "-c", config, "--host", host ?? self.host, "--socket", socket ?? self.socket,
                    "--debounce", "100ms"],
                logPath: directory.path + "/watch-\(UUID().uuidString).log")
        }

        func run(_ arguments: [String], environment: [String: String] = [:]) throws -> BinaryRunner.Outcome {
            try BinaryRunner.run(arguments, environment: environment)
        }

        func status(_ extra: [String] = []) throws -> [String: Any] {
            let outcome = try run(["status", "--json", "--host", host, "-c", config] + extra)
            return (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        func ready() throws -> Int {
            let templates = try status()["templates"] as? [[String: Any]]
            return (templates?.first?["preload"] as? [String: Any])?["ready"] as? Int ?? -1
        }

        func simList() throws -> String {
            try run(["sim", "ls", "--host", host]).stdout
        }
    }

    @Test func aSecondControllerIsRefusedAndTheFirstKeepsItsSocketAndLease() async throws {
        let setup = try Setup()
        let first = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(first.log)")
        let pid = first.process.processIdentifier
        let hostFile = try String(contentsOfFile: setup.hostPath, encoding: .utf8)
        #expect(hostFile.contains("\"controller\" : \"\(pid)\""), "the lease is the first controller's")

        // Another socket, the same host: refused before it touches anything.
        let otherSocket = setup.directory.path + "/other.sock"
        let second = try setup.watch(socket: otherSocket)
        #expect(await second.wait(seconds: 10) == 1, "\(second.log)")
        #expect(second.log.contains("dispo watch, pid \(pid), socket \(setup.socket)"), "\(second.log)")
        #expect(second.log.contains("already keeps \(setup.host)"), "\(second.log)")
        #expect(!FileManager.default.fileExists(atPath: otherSocket))

        // Another host, the same socket: refused too, and the first daemon's socket is left alone.
        let otherHost = "sim:\(setup.directory.path)/other.json"
        #expect(try setup.run(["sim", "init", "--host", otherHost]).status == 0)
        let third = try setup.watch(host: otherHost)
        #expect(await third.wait(seconds: 10) == 1, "\(third.log)")
        #expect(third.log.contains("another daemon answers on \(setup.socket)"), "\(third.log)")

        #expect(FileManager.default.fileExists(atPath: setup.socket), "the first daemon's socket is still there")
        let status = try setup.status(["--socket", setup.socket])
        #expect((status["source"] as? [String: Any])?["pid"] as? Int32 == pid)
        #expect(try String(contentsOfFile: setup.hostPath, encoding: .utf8).contains("\"controller\" : \"\(pid)\""))
        first.signal(SIGTERM)
        #expect(await first.wait(seconds: 15) == 0, "\(first.log)")
        #expect(!FileManager.default.fileExists(atPath: setup.socket), "a clean stop removes its own socket")
    }

    @Test func applyBesideAControllerChangesNothing() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let before = try setup.simList()
        let other = try TemporaryDirectory(["dispo.yaml": "apiVersion: dispo/v1\nkind: System\n"])
        let apply = try setup.run(["apply", "-c", other.path, "--host", setup.host, "--allow-empty"])
        #expect(apply.status == 1, "\(apply.stderr)")
        #expect(apply.stderr.contains("pid \(daemon.process.processIdentifier)"), "\(apply.stderr)")
        #expect(apply.stderr.contains("apply would fight it"), "\(apply.stderr)")
        #expect(apply.stdout.isEmpty)
        let initAgain = try setup.run(["sim", "init", "--host", setup.host])
        #expect(initAgain.status == 1 && initAgain.stderr.contains("sim init would wipe the domains"), "\(initAgain.stderr)")
        #expect(try setup.simList() == before, "nothing was destroyed or replaced")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0)
        // Without the controller, apply may run again.
        let after = try setup.run(["apply", "-c", setup.config, "--host", setup.host])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test func aKilledControllersLockIsTakenOver() async throws {
        let setup = try Setup()
        let first = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(first.log)")
        first.signal(SIGKILL)
        _ = await first.wait(seconds: 5)
        #expect(FileManager.default.fileExists(atPath: setup.socket), "kill -9 leaves the socket behind")
        let second = try setup.watch()
        #expect(try await eventually {
            (try setup.status()["source"] as? [String: Any])?["pid"] as? Int32 == second.process.processIdentifier
        }, "\(second.log)")
        #expect(try String(contentsOfFile: setup.hostPath, encoding: .utf8)
            .contains("\"controller\" : \"\(second.process.processIdentifier)\""))
        second.signal(SIGTERM)
        #expect(await second.wait(seconds: 15) == 0, "\(second.log)")
    }

    @Test func explicitFlagsWinOverADaemon() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let other = "sim:\(setup.directory.path)/h2.json"
        #expect(try setup.run(["sim", "init", "--host", other]).status == 0)
        // The daemon answers on the default socket, but --host names another host: that host is read.
        let environment = ["DISPO_SOCKET": setup.socket]
        let status = try setup.run(["status", "--json", "--host", other, "-c", setup.config], environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((report["host"] as? [String: Any])?["location"] as? String == other)
        #expect((report["source"] as? [String: Any])?["kind"] as? String == "host")
        #expect(!status.stderr.contains("using the controller"))
        // Without --host the default socket's daemon is used, and that is said on stderr.
        let viaDefault = try setup.run(["status", "--json"], environment: environment)
        #expect(viaDefault.stderr.contains("dispo: using the controller (pid \(daemon.process.processIdentifier))"))

        // --socket and --host that disagree, or -c that the daemon does not apply, are refused.
        let mismatch = try setup.run(["request", "--host", other, "--socket", setup.socket, "-c", setup.config])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("keeps \(setup.host), not \(other)"), "\(mismatch.stderr)")
        let otherConfig = try TemporaryDirectory(["x.yaml": "apiVersion: dispo/v1\nkind: System\n"])
        let wrongConfig = try setup.run(["request", "--host", setup.host, "-c", otherConfig.path])
        #expect(wrongConfig.status == 1 && wrongConfig.stderr.contains("not \(otherConfig.path)"), "\(wrongConfig.stderr)")
        #expect(try setup.ready() == 2, "nothing was handed out")
        // A --socket nothing answers on is an error, not a silent fallback to the host.
        let silent = try setup.run(["status", "--socket", setup.directory.path + "/none.sock", "--host", other])
        #expect(silent.status == 1 && silent.stderr.contains("no dispo controller answers on"), "\(silent.stderr)")

        // A request naming the host the daemon holds goes through the daemon, found from the host lock.
        let request = try setup.run(["request", "--json", "--host", setup.host])
        #expect(request.status == 0 && request.stderr.contains("holding \(setup.host)"), "\(request.stderr)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0)
    }

    @Test func eventsFollowsTheControllerUntilItStops() async throws {
        let setup = try Setup()
        let noDaemon = try setup.run(["events", "--host", setup.host])
        #expect(noDaemon.status == 1 && noDaemon.stderr.contains("no controller answers"), "\(noDaemon.stderr)")
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let follower = try RunningBinary(["events", "--host", setup.host, "--since", "0"],
            logPath: setup.directory.path + "/events.log")
        #expect(await eventually { follower.log.contains(" reconciled ") }, "\(follower.log)")
        let request = try setup.run(["request", "--json", "--host", setup.host])
        let name = try #require(
            (try JSONSerialization.jsonObject(with: Data(request.stdout.utf8)) as? [String: Any])?["name"] as? String)
        #expect(await eventually { follower.log.contains("handed-out \(name) template=default-dvm preloaded=true") },
            "\(follower.log)")
        #expect(try setup.run(["release", name, "--host", setup.host]).status == 0)
        #expect(await eventually { follower.log.contains("released \(name)") }, "\(follower.log)")
        #expect(await eventually { daemon.log.contains("released object=\(name)") }, "\(daemon.log)")
        let again = try setup.run(["release", name, "--host", setup.host])
        #expect(again.status == 1 && again.stderr.contains("already"), "\(again.stderr)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0)
        #expect(await follower.wait(seconds: 10) == 0, "events ends cleanly with the controller: \(follower.log)")
    }

    @Test func statusCheckSaysWhatIsWrong() async throws {
        let setup = try Setup()
        let direct = try setup.run(["status", "--check", "--host", setup.host, "-c", setup.config])
        #expect(direct.status == 3 && direct.stderr.contains("no controller answers"), "\(direct.stderr)")
        #expect(direct.stdout.hasPrefix("source: read from the host"), "\(direct.stdout)")
        let daemon = try setup.watch()
        #expect(try await eventually {
            try setup.run(["status", "--check", "--host", setup.host]).status == 0
        }, "\(daemon.log)")
        try setup.directory.write("config/broken.yaml", "apiVersion: dispo/v1\nkind: Template\nname: t\nmemroy: 1\n")
        #expect(try await eventually { try setup.run(["status", "--check", "--host", setup.host]).status == 4 })
        let report = try setup.status()
        let errors = try #require((report["config"] as? [String: Any])?["errors"] as? [[String: Any]])
        let typo = try #require(errors.first { ($0["message"] as? String)?.contains("memroy") == true }, "\(errors)")
        #expect(typo["path"] as? String == "broken.yaml" && typo["line"] as? Int == 4 && typo["column"] as? Int == 1)
        #expect(typo["severity"] as? String == "error", "\(errors)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0)
    }

    @Test func interruptedApplySaysWhatWasInFlightAndTheNextRunRepairs() async throws {
        let setup = try Setup()
        #expect(try setup.run(["sim", "init", "--boot", "30s", "--host", setup.host]).status == 0)
        let apply = try RunningBinary(["apply", "-c", setup.config, "--host", setup.host],
            logPath: setup.directory.path + "/apply.log")
        #expect(await eventually { apply.log.contains("Plan: 2 to create") }, "\(apply.log)")
        try await Task.sleep(for: .milliseconds(300))
        apply.signal(SIGINT)
        #expect(await apply.wait(seconds: 10) == 130, "\(apply.log)")
        #expect(apply.log.contains("dispo: interrupted; 1 action in flight (create preload disp"), "\(apply.log)")
        #expect(apply.log.contains("the next dispo apply (or dispo watch) removes whatever is still half-made"))
        #expect(try setup.run(["sim", "init", "--boot", "100ms", "--host", setup.host]).status == 0, "the lock is free")
    }

    @Test func badValuesAreUsageErrorsOfTheirCommand() throws {
        for (arguments, usage) in [
            (["watch", "--debounce", "5bananas"], "Usage: dispo watch"), (["watch", "--parallel", "0"], "Usage: dispo watch"),
            (["apply", "--parallel", "0"], "Usage: dispo apply"), (["apply", "--attempts", "0"], "Usage: dispo apply"),
            (["events", "--since", "-1"], "Usage: dispo events"),
        ] {
            let outcome = try BinaryRunner.run(arguments)
            #expect(outcome.status == 64 && outcome.stderr.contains(usage), "\(arguments): \(outcome.stderr)")
        }
        let help = try BinaryRunner.run(["sim", "init", "--help"]).stdout
        #expect(help.components(separatedBy: "default: 0").count == 2, "the seed's default is said once")
    }

    @Test func readOnlyCommandsWriteNothing() throws {
        let directory = try TemporaryDirectory()
        try directory.write("config/dispo.yaml", try String(
            contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml", encoding: .utf8))
        let missing = directory.path + "/nonexistent/dir/h.json"
        let config = directory.path + "/config"
        let home = ["HOME": directory.path + "/home", "XDG_STATE_HOME": ""]
        let before = try Self.tree(directory.path)
        for arguments in [
            ["diff", "-c", config, "--host", "sim:\(missing)"], ["status", "-c", config, "--host", "sim:\(missing)"],
            ["sim", "ls", "--host", "sim:\(missing)"], ["status", "-c", config], ["diff", "-c", config],
            ["sim", "ls"],
        ] {
            let outcome = try BinaryRunner.run(arguments, environment: home)
            #expect(outcome.status == 1, "\(arguments): \(outcome.stdout)")
            #expect(outcome.stderr.contains("no simulated host at ") && outcome.stderr.contains("dispo sim init"),
                "\(arguments): \(outcome.stderr)")
        }
        #expect(try BinaryRunner.run(["validate", "-c", config]).status == 0)
        #expect(try Self.tree(directory.path) == before, "no host, folder or lock file was made")

        // On an existing host, reading leaves every file as it was (contents and modification times).
        let host = "sim:\(directory.path)/host.json"
        #expect(try BinaryRunner.run(["sim", "init", "--host", host]).status == 0)
        #expect(try BinaryRunner.run(["apply", "-c", config, "--host", host]).status == 0)
        let applied = try Self.tree(directory.path)
        for arguments in [["diff", "-c", config, "--host", host], ["status", "-c", config, "--host", host],
            ["sim", "ls", "--host", host], ["status", "--json", "--host", host]]
        {
            #expect([0, 2].contains(try BinaryRunner.run(arguments).status), "\(arguments)")
        }
        #expect(try Self.tree(directory.path) == applied)
    }

    /// Every path under `root` with its size, modification time and a digest of its bytes.
    static func tree(_ root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let bytes = FileManager.default.contents(atPath: path) ?? Data()
            let digest = bytes.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
            entries[relative] = "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(digest)"
        }
        return entries
    }
}
