import DispoTestKit
import Foundation
import Testing

/// `dispo request` and `dispo release` as a user runs them: on the host directly, and through `dispo watch`.
@Suite(.serialized)
struct RequestCommandTests {
    final class Setup {
        let directory: TemporaryDirectory
        var config: String { directory.path + "/config" }
        var host: String { "sim:\(directory.path)/host.json" }
        var socket: String { directory.path + "/dispo.sock" }

        init(extra: String = "") throws {
            directory = try TemporaryDirectory()
            let quickstart = try String(
                contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml",
                encoding: .utf8)
            try directory.write("config/dispo.yaml", quickstart + extra)
            #expect(try BinaryRunner.run(["sim", "init", "--boot", "100ms", "--host", host]).status == 0)
        }

        /// Runs `dispo ARGUMENTS` against this host and config; with `socket`, naming the daemon's socket too
        /// (which then must answer).
        func dispo(_ arguments: [String], config: Bool = true, socket: Bool = false) throws -> BinaryRunner.Outcome {
            try BinaryRunner.run(
                arguments + ["--host", host] + (socket ? ["--socket", self.socket] : [])
                    + (config ? ["-c", self.config] : []))
        }

        func apply() throws {
            let outcome = try dispo(["apply"], socket: false)
            #expect(outcome.status == 0, "\(outcome.stderr)")
        }

        func request(_ arguments: [String] = []) throws -> [String: Any] {
            let outcome = try dispo(["request", "--json"] + arguments)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            return (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        func simList() throws -> String {
            try BinaryRunner.run(["sim", "ls", "--host", host]).stdout
        }

        func watch() throws -> RunningBinary {
            try RunningBinary(
                ["watch", "-c", config, "--host", host, "--socket", socket, "--debounce", "100ms"],
                logPath: directory.path + "/watch-\(UUID().uuidString).log")
        }

        func ready() throws -> Int {
            let outcome = try dispo(["status", "--json"])
            let status = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
            let templates = status["templates"] as? [[String: Any]]
            return (templates?.first?["preload"] as? [String: Any])?["ready"] as? Int ?? -1
        }
    }

    @Test func directRequestAndRelease() async throws {
        let setup = try Setup()
        let handout = try setup.request()
        #expect(Set(handout.keys) == ["name", "domid", "uuid", "template", "preloaded", "seconds"])
        #expect(handout["template"] as? String == "default-dvm", "@dispvm is System.default_dispvm")
        #expect(handout["preloaded"] as? Bool == false, "nothing was preloaded: a cold start")
        let seconds = try #require(handout["seconds"] as? Double)
        #expect(seconds >= 0.1, "a cold start waits for the 100 ms boot")
        let name = try #require(handout["name"] as? String)
        #expect(name.wholeMatch(of: /disp\d{1,4}/) != nil)
        #expect(try setup.simList().contains(name))

        let human = try setup.dispo(["request", "default-dvm"])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.wholeMatch(of: /disp\d+ \(default-dvm, cold, \d+ ms\)\n/) != nil, "\(human.stdout)")

        let released = try setup.dispo(["release", name], config: false)
        #expect(released.status == 0, "\(released.stderr)")
        #expect(released.stdout == "released \(name)\n")
        #expect(try !setup.simList().contains(name + " "))
    }

    @Test func directRequestTakesAPreloadAfterApply() async throws {
        let setup = try Setup()
        try setup.apply()
        let handout = try setup.request(["default-dvm"])
        #expect(handout["preloaded"] as? Bool == true)
        let list = try setup.simList()
        let name = try #require(handout["name"] as? String)
        let row = list.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        #expect(row?.contains("unnamed") == true && row?.contains("used") == true, "\(list)")
    }

    @Test func refusalsSayWhy() async throws {
        let setup = try Setup(
            extra: """
                ---
                apiVersion: dispo/v1
                kind: NamedDisposable
                name: sys-work
                template: default-dvm
                state: running

                """)
        try setup.apply()
        #expect(try BinaryRunner.run(["sim", "add", "mine", "--host", setup.host]).status == 0)
        let preload = try #require(try setup.simList().split(separator: "\n").first { $0.contains(" preload ") })
            .split(separator: " ").first.map(String.init)
        for (name, message) in [
            ("sys-work", "sys-work is a named disposable; it is never released"),
            (preload ?? "", "is a preloaded disposable waiting in the queue"),
            ("mine", "mine was not made by dispo; dispo does not touch it"),
            ("disp99999", "no domain named disp99999"),
        ] {
            let outcome = try setup.dispo(["release", name], config: false)
            #expect(outcome.status == 1, "\(name)")
            #expect(outcome.stderr.hasPrefix("dispo: error: ") && outcome.stderr.contains(message), "\(outcome.stderr)")
        }
        for (target, message) in [
            ("nope", "no disposable template named nope"), ("@nope", "unknown target @nope"),
            ("@dispvm:@tag:work", "no disposable template has the tag work"),
        ] {
            let outcome = try setup.dispo(["request", target])
            #expect(outcome.status == 1 && outcome.stderr.contains("dispo: error: \(message)"), "\(outcome.stderr)")
        }
    }

    @Test func throughTheDaemon() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let handout = try setup.request(["@dispvm:default-dvm"])
        #expect(handout["preloaded"] as? Bool == true, "the queue was full")
        let name = try #require(handout["name"] as? String)
        #expect(try await eventually { daemon.log.contains("handed out object=\(name)") }, "\(daemon.log)")

        #expect(handout.isEmpty == false)
        let refused = try setup.dispo(["release", "nothing"], config: false, socket: true)
        #expect(refused.status == 1 && refused.stderr.hasSuffix("\ndispo: error: no domain named nothing\n"), "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("dispo: using the controller (pid \(daemon.process.processIdentifier))"))
        let released = try setup.dispo(["release", name], config: false)
        #expect(released.status == 0, "\(released.stderr)")
        #expect(try await eventually { try !setup.simList().contains(name + " ") })
        #expect(try await eventually { try setup.ready() == 2 }, "the queue refills after the delay")

        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0, "\(daemon.log)")
    }

    /// A hand-out is complete only once its used record is written: SIGTERM right after the answer finds it.
    @Test func aStopRightAfterAHandOutKeepsItsUsedRecord() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let handout = try setup.request(["@dispvm:default-dvm"])
        daemon.signal(SIGTERM)
        let name = try #require(handout["name"] as? String)
        #expect(handout["preloaded"] as? Bool == true)
        #expect(await daemon.wait(seconds: 15) == 0, "\(daemon.log)")
        let list = try setup.simList()
        let row = list.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        #expect(row?.contains("unnamed") == true && row?.contains("used") == true, "\(list)")
    }
}
