import DispoTestKit
import Foundation
import Testing

/// `dispo sleep pre` and `dispo sleep post` as the systemd-sleep hook runs them: on the host directly, through
/// `dispo watch`, and the hook script itself.
@Suite(.serialized)
struct SleepCommandTests {
    typealias Setup = RequestCommandTests.Setup

    static func json(_ outcome: BinaryRunner.Outcome) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    /// This process's environment with `overrides`, as the hook gets it from systemd-sleep (PATH included).
    static func environment(_ overrides: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DISPO_SLEEP_OPTS", "DISPO_SLEEP_TIMEOUT", "DISPO_SOCKET", "DISPO_CONFIG"] {
            environment.removeValue(forKey: key)
        }
        environment["NO_COLOR"] = "1"
        return environment.merging(overrides) { _, new in new }
    }

    /// Preload rows of `dispo sim ls`.
    static func preloads(_ setup: Setup) throws -> [Substring] {
        try setup.simList().split(separator: "\n").filter { $0.contains(" preload ") }
    }

    @Test func directPreAndPost() async throws {
        let setup = try Setup()
        try setup.apply()
        let used = try #require(try setup.request(["default-dvm"])["name"] as? String)
        #expect(try Self.preloads(setup).count == 1)

        let pre = try setup.dispo(["sleep", "pre", "--json"], config: false)
        #expect(pre.status == 0, "\(pre.stderr)")
        let report = Self.json(pre)
        #expect(Set(report.keys) == ["suspended", "since", "removed", "left", "seconds", "via"], "\(pre.stdout)")
        #expect(report["removed"] as? Int == 1 && report["via"] as? String == "host")
        #expect(try Self.preloads(setup).isEmpty)
        #expect(try setup.simList().contains(used + " "), "the disposable in use stays")

        let status = try setup.dispo(["status"])
        #expect(status.stdout.contains("preloads: held for a host suspend since "), "\(status.stdout)")
        let statusJSON = Self.json(try setup.dispo(["status", "--json"]))
        #expect((statusJSON["suspend"] as? [String: Any])?["limit"] as? Double == 600, "\(statusJSON)")
        let diff = try setup.dispo(["diff", "--json"])
        #expect(diff.status == 0, "in sync: nothing to remove, nothing to make; \(diff.stdout)")
        let waiting = Self.json(diff)["waiting"] as? [[String: Any]]
        #expect(waiting?.map { $0["reason"] as? String } == ["suspend"], "\(diff.stdout)")
        try setup.apply()
        #expect(try Self.preloads(setup).isEmpty, "apply does not refill either")
        #expect(try setup.request(["default-dvm"])["preloaded"] as? Bool == false, "a cold start")

        let post = try setup.dispo(["sleep", "post", "--json"], config: false)
        #expect(post.status == 0, "\(post.stderr)")
        let resumed = Self.json(post)
        #expect(resumed["was_suspended"] as? Bool == true && resumed["refilling"] as? Bool == false, "\(post.stdout)")
        let again = try setup.dispo(["sleep", "post"], config: false)
        #expect(again.stdout == "no host suspend was recorded; nothing was held\n", "\(again.stdout)")
        try setup.apply()
        #expect(try Self.preloads(setup).count == 2, "the next apply refills")
    }

    @Test func throughTheDaemon() async throws {
        let setup = try Setup()
        let daemon = try setup.watch()
        #expect(try await eventually { try setup.ready() == 2 }, "\(daemon.log)")
        let pre = try setup.dispo(["sleep", "pre"], config: false)
        #expect(pre.status == 0, "\(pre.stderr)")
        #expect(
            pre.stdout.wholeMatch(
                of: /removed 2 preloads in [0-9.]+s; refill held for the host suspend until dispo sleep post\n/) != nil,
            "\(pre.stdout)")
        #expect(
            pre.stderr.hasPrefix("dispo: using the controller (pid \(daemon.process.processIdentifier))"),
            "\(pre.stderr)")
        #expect(try setup.ready() == 0)
        try await Task.sleep(for: .seconds(1))
        let list = try setup.simList()
        #expect(try Self.preloads(setup).isEmpty, "no refill while held: \(list)")

        let post = try setup.dispo(["sleep", "post", "--json"], config: false)
        #expect(post.status == 0, "\(post.stderr)")
        #expect(Self.json(post)["refilling"] as? Bool == true && Self.json(post)["via"] as? String == "controller")
        #expect(try await eventually { try setup.ready() == 2 }, "the controller refills: \(daemon.log)")
        #expect(daemon.log.contains("preloads removed for a host suspend"), "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 15) == 0, "\(daemon.log)")
    }

    @Test func theHookRunsDispoSleepAndNeverFailsOnNothingToDo() async throws {
        let setup = try Setup()
        try setup.apply()
        let hook = BinaryRunner.packageRoot + "/dist/systemd/system-sleep/dispo"
        let environment = Self.environment([
            "DISPO": BinaryRunner.binary, "DISPO_DEFAULTS": "/nonexistent", "DISPO_SLEEP_OPTS": "--host \(setup.host)",
            "DISPO_SLEEP_TIMEOUT": "20",
        ])
        let pre = try BinaryRunner.run(executable: hook, ["pre", "suspend"], environment: environment)
        #expect(pre.status == 0, "\(pre.stderr)")
        #expect(
            pre.stderr.contains("dispo-sleep: pre suspend: ") && pre.stderr.contains("sleep pre --timeout 20s"),
            "\(pre.stderr)")
        #expect(pre.stderr.contains("removed 2 preloads"), "\(pre.stderr)")
        #expect(try Self.preloads(setup).isEmpty)
        let post = try BinaryRunner.run(executable: hook, ["post", "suspend"], environment: environment)
        #expect(post.status == 0 && post.stderr.contains("dispo-sleep: post suspend: done"), "\(post.stderr)")
        try setup.apply()
        #expect(try Self.preloads(setup).count == 2)
        // Called with anything else, or where no dispo runs: a no-op that succeeds.
        let other = try BinaryRunner.run(executable: hook, ["bogus"], environment: environment)
        #expect(other.status == 0 && other.stderr.contains("nothing to do"), "\(other.stderr)")
        let idle = try BinaryRunner.run(
            executable: hook, ["pre", "hibernate"],
            environment: Self.environment([
                "DISPO": BinaryRunner.binary, "DISPO_DEFAULTS": "/nonexistent", "DISPO_SOCKET": "/nonexistent",
            ]))
        #expect(idle.status == 0 && idle.stderr.contains("nothing to do"), "\(idle.stderr)")
    }

    @Test(arguments: [["--timeout", "0"], ["--timeout", "11m"], ["--timeout", "soon"]])
    func badTimeoutsAreUsageErrors(arguments: [String]) throws {
        let outcome = try BinaryRunner.run(["sleep", "pre"] + arguments)
        #expect(outcome.status == 64, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("--timeout"), "\(outcome.stderr)")
    }
}
