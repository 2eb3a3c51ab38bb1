import DispoTestKit
import Foundation
import Testing

/// The git source as a user meets it: `dispo watch --git` following pushes to a `git daemon`, `diff --ref`,
/// `validate --all-hosts` and a broken source file, run through the built binary on a simulated host.
@Suite(.serialized)
struct GitCommandTests {
    final class Setup {
        let git: Git
        let key: SSHKey
        let directory: TemporaryDirectory
        let server: GitServer
        var host: String { "sim:" + directory.path + "/host.json" }
        var socket: String { directory.path + "/dispo.sock" }
        var sourceFile: String { directory.path + "/source.yaml" }

        init(layers: String = "[.]") throws {
            git = try Git()
            key = try SSHKey(in: git.root, name: "alice")
            directory = try TemporaryDirectory()
            server = try GitServer.daemon(git)
            _ = try directory.write("source.yaml", """
                apiVersion: dispo/v1
                kind: GitSource
                name: fleet
                url: \(server.url)
                ref: { branch: main }
                layers: \(layers)
                host: dom0
                interval: 200ms
                verify: { mode: ssh, allowed_signers: \(key.allowedSigners) }
                state_directory: \(directory.path)/state

                """)
            let created = try BinaryRunner.run(["sim", "init", "--host", host])
            guard created.status == 0 else { throw FixtureError("sim init: \(created.stderr)") }
        }

        func status() throws -> [String: Any] {
            let outcome = try BinaryRunner.run(["status", "--json", "--socket", socket])
            return (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]) ?? [:]
        }

        func config() throws -> [String: Any] { try status()["config"] as? [String: Any] ?? [:] }
    }

    @Test func watchFollowsSignedPushesAndRefusesAnUnsignedOne() async throws {
        let setup = try Setup()
        let first = try setup.git.commit("first", signing: .ssh(setup.key), files: ["a.yaml": GitSourceTests.template("1")])
        try setup.git.push()
        let daemon = try RunningBinary(
            ["watch", "--git", setup.sourceFile, "--host", setup.host, "--socket", setup.socket],
            logPath: setup.directory.path + "/watch.log")
        #expect(await eventually { (try? setup.config()["commit"] as? String) == "main@sha1:\(first)" }, "\(daemon.log)")

        let second = try setup.git.commit("more", signing: .ssh(setup.key), files: ["a.yaml": GitSourceTests.template("1", max: 3)])
        try setup.git.push()
        #expect(await eventually {
            let templates = (try? setup.status()["templates"] as? [[String: Any]]) ?? []
            let max = (templates.first?["preload"] as? [String: Any])?["max"] as? Int
            return (try? setup.config()["commit"] as? String) == "main@sha1:\(second)" && max == 3
        }, "\(daemon.log)")

        let unsigned = try setup.git.commit("unsigned", files: ["a.yaml": GitSourceTests.template("1", max: 1)])
        try setup.git.push()
        #expect(await eventually {
            let source = (try? setup.config()["source"] as? [String: Any]) ?? [:]
            return source["fetched"] as? String == "main@sha1:\(unsigned)" && (source["error"] as? String)?.contains("unsigned") == true
        }, "\(daemon.log)")
        #expect((try setup.config()["commit"] as? String) == "main@sha1:\(second)", "the verified commit stays in force")
        let human = try BinaryRunner.run(["status", "--socket", setup.socket])
        #expect(human.stdout.contains("commit main@sha1:\(second)") && human.stdout.contains("refused"), "\(human.stdout)")
        let metrics = try BinaryRunner.run(["status", "--socket", setup.socket, "--json"])
        #expect(metrics.status == 0)
        #expect(daemon.log.contains("config source head refused"), "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 30) == 0)
    }

    @Test func diffPreviewsABranchAndValidateChecksEveryHost() async throws {
        let setup = try Setup(layers: "[common, \"hosts/${host}\"]")
        try setup.git.commit("hosts", signing: .ssh(setup.key), files: [
            "common/a.yaml": GitSourceTests.template("1"),
            "hosts/dom0/.keep.yaml": nil, "hosts/dom0/README": "dom0\n",
            "hosts/laptop/bad.yaml": "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: x\ntemplate: nowhere\n",
        ])
        try setup.git.push()
        try sh(["git", "-C", setup.git.work, "checkout", "--quiet", "-b", "feature"])
        let feature = try setup.git.commit("feature", files: ["common/a.yaml": GitSourceTests.template("2", max: 4)])
        try setup.git.push("feature")

        let diff = try BinaryRunner.run(["diff", "--git", setup.sourceFile, "--ref", "feature", "--host", setup.host])
        #expect(diff.status == 2, "\(diff.stdout)\(diff.stderr)")
        #expect(diff.stderr.contains("previewing feature@sha1:\(feature)") && diff.stderr.contains("would be refused"),
            "\(diff.stderr)")
        let missing = try BinaryRunner.run(["diff", "--git", setup.sourceFile, "--ref", "nope", "--host", setup.host])
        #expect(missing.status == 1 && missing.stderr.contains("not a branch, tag or commit"), "\(missing.stderr)")

        let every = try BinaryRunner.run(["validate", "--git", setup.sourceFile, "--all-hosts"])
        #expect(every.status == 1, "\(every.stdout)\(every.stderr)")
        #expect(every.stdout.contains("valid: host dom0") && every.stdout.contains("invalid: host laptop"), "\(every.stdout)")
        #expect(every.stdout.contains("[laptop] hosts/laptop/bad.yaml:4:"), "\(every.stdout)")
        let worktree = try BinaryRunner.run(
            ["validate", "--git", setup.sourceFile, "--all-hosts", "--worktree", setup.git.work, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(worktree.stdout.utf8)) as? [String: Any]
        let hosts = (report?["hosts"] as? [[String: Any]])?.compactMap { $0["host"] as? String }
        #expect(worktree.status == 1 && hosts == ["dom0", "laptop"], "\(worktree.stdout)\(worktree.stderr)")

        _ = try setup.directory.write("broken.yaml", "apiVersion: dispo/v1\nkind: GitSource\nname: b\nurl: ftp://x\nref: {branch: main}\nverify: {mode: none}\n")
        let broken = try BinaryRunner.run(["validate", "--git", setup.directory.path + "/broken.yaml"])
        #expect(broken.status == 1 && broken.stderr.contains("broken.yaml:4:6: error: url must start with"), "\(broken.stderr)")
        let both = try BinaryRunner.run(["validate", "--git", setup.sourceFile, "-c", setup.directory.path])
        #expect(both.status == 64 && both.stderr.contains("either -c DIR or --git FILE"), "\(both.stderr)")
    }
}
