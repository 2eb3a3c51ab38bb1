import DispoConfig
import DispoDaemon
import DispoEngine
import DispoTestKit
import Foundation
import Logging
import Testing

@testable import DispoGit

/// The git source against real git: `file://`, `git daemon` and `git http-backend` on loopback, real SSH and
/// OpenPGP signatures, pushes, force-pushes, broken configs at the head. Serialized: the servers and gpg are
/// processes, and a 2-core machine runs them better one test at a time.
@Suite(.serialized)
struct GitSourceTests {
    static func template(_ revision: String, max: Int = 2) -> String {
        """
        apiVersion: dispo/v1
        kind: Template
        name: debian-12
        kernel: /boot/vmlinuz
        revision: "\(revision)"
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: default-dvm
        template: debian-12
        preload: { max: \(max) }

        """
    }

    static func spec(
        _ url: String, state: String, verification: GitSourceSpec.Verification = .none, ref: GitSourceSpec.Ref = .branch("main"),
        path: String = "", layers: [String] = [""], allowNonFastForward: Bool = false, maxSize: Size = .mebibytes(64),
        fetchCommand: [String]? = nil
    ) -> GitSourceSpec {
        GitSourceSpec(
            name: "config", url: url, fetchCommand: fetchCommand, ref: ref, path: path, layers: layers, host: "dom0",
            interval: 0.2, timeout: 20, verification: verification, allowNonFastForward: allowNonFastForward,
            maxSize: maxSize, stateDirectory: state)
    }

    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func revision(_ state: DesiredState) -> String? {
        state.templates["debian-12"]?.revision.description
    }

    @Test func aFileURLCommitComesIntoForceAsTheRevision() async throws {
        let git = try Git()
        let first = try git.commit("first", files: ["dvms.yaml": Self.template("1")])
        try git.push()
        let state = try TemporaryDirectory()
        let source = GitSource(spec: Self.spec(git.fileURL, state: state.path), logger: Self.logger)
        let outcome = await source.refresh()
        #expect(outcome == .applied(first))
        let load = await source.load()
        #expect(load.isValid, "\(load.diagnostics)")
        #expect(load.revision == "main@sha1:\(first)")
        #expect(load.state.disposableTemplates["default-dvm"] != nil)
        let status = try #require(await source.status())
        #expect(status.applied == "main@sha1:\(first)" && status.fetched == status.applied && status.error == nil)
        #expect(FileManager.default.fileExists(atPath: state.path + "/sources/config/mirror.git/HEAD"))
        #expect(await source.refresh() == .unchanged)
    }

    @Test func sshSignaturesDecideOverTheGitDaemon() async throws {
        let git = try Git()
        let alice = try SSHKey(in: git.root, name: "alice")
        let mallory = try SSHKey(in: git.root, name: "mallory", email: "mallory@example.com")
        let server = try GitServer.daemon(git)
        let state = try TemporaryDirectory()
        let source = GitSource(
            spec: Self.spec(server.url, state: state.path, verification: .ssh(allowedSigners: alice.allowedSigners)),
            logger: Self.logger)

        let signed = try git.commit("signed", signing: .ssh(alice), files: ["a.yaml": Self.template("1")])
        try git.push()
        #expect(await source.refresh() == .applied(signed))

        let unsigned = try git.commit("unsigned", files: ["a.yaml": Self.template("2")])
        try git.push()
        guard case .refused(let reason) = await source.refresh() else { Issue.record("an unsigned head applied"); return }
        #expect(reason.contains("unsigned"))
        var status = try #require(await source.status())
        #expect(status.fetched == "main@sha1:\(unsigned)" && status.applied == "main@sha1:\(signed)")
        #expect(status.error?.contains("refused") == true)
        #expect(Self.revision(await source.load().state) == "1", "the last verified commit stays in force")

        try git.commit("by an unknown key", signing: .ssh(mallory), files: ["a.yaml": Self.template("3")])
        try git.push()
        guard case .refused(let unknown) = await source.refresh() else { Issue.record("an unknown key applied"); return }
        #expect(unknown.contains("not in"), "\(unknown)")

        let good = try git.commit("signed again", signing: .ssh(alice), files: ["a.yaml": Self.template("4")])
        try git.push()
        #expect(await source.refresh() == .applied(good))
        status = try #require(await source.status())
        #expect(status.error == nil)
        #expect(Self.revision(await source.load().state) == "4")
    }

    @Test func aForcePushIsRefusedUnlessAllowed() async throws {
        let git = try Git()
        let alice = try SSHKey(in: git.root, name: "alice")
        let state = try TemporaryDirectory()
        let verification = GitSourceSpec.Verification.ssh(allowedSigners: alice.allowedSigners)
        let source = GitSource(spec: Self.spec(git.fileURL, state: state.path, verification: verification), logger: Self.logger)
        try git.commit("one", signing: .ssh(alice), files: ["a.yaml": Self.template("1")])
        let two = try git.commit("two", signing: .ssh(alice), files: ["a.yaml": Self.template("2")])
        try git.push()
        #expect(await source.refresh() == .applied(two))

        try sh(["git", "-C", git.work, "reset", "--quiet", "--hard", "HEAD~1"])
        let rewritten = try git.commit("rewritten", signing: .ssh(alice), files: ["a.yaml": Self.template("5")])
        try git.push(force: true)
        guard case .refused(let reason) = await source.refresh() else { Issue.record("a force-push applied"); return }
        #expect(reason.contains("fast-forward"))
        #expect(Self.revision(await source.load().state) == "2")

        let allowing = GitSource(
            spec: Self.spec(git.fileURL, state: state.path, verification: verification, allowNonFastForward: true),
            logger: Self.logger)
        #expect(await allowing.refresh() == .applied(rewritten))
        #expect(Self.revision(await allowing.load().state) == "5")
    }

    @Test func openPGPSignaturesOverSmartHTTP() async throws {
        let git = try Git()
        let alice = try PGPKey(in: git.root, name: "alice")
        let eve = try PGPKey(in: git.root, name: "eve")
        defer {
            alice.stopAgent()
            eve.stopAgent()
        }
        let server = try GitServer.http(git)
        let state = try TemporaryDirectory()
        let source = GitSource(
            spec: Self.spec(server.url, state: state.path, verification: .openPGP(keyring: alice.keyring)),
            logger: Self.logger)
        let signed = try git.commit("signed", signing: .openPGP(alice), files: ["a.yaml": Self.template("1")])
        try git.push()
        #expect(await source.refresh() == .applied(signed))
        try git.commit("by eve", signing: .openPGP(eve), files: ["a.yaml": Self.template("2")])
        try git.push()
        guard case .refused(let reason) = await source.refresh() else { Issue.record("eve's commit applied"); return }
        #expect(reason.contains("not in"), "\(reason)")
        try git.commit("unsigned", files: ["a.yaml": Self.template("3")])
        try git.push()
        guard case .refused(let unsigned) = await source.refresh() else { Issue.record("unsigned applied"); return }
        #expect(unsigned.contains("unsigned"))
        #expect(Self.revision(await source.load().state) == "1")
    }

    @Test func aBrokenConfigAtTheHeadNeverComesIntoForce() async throws {
        let git = try Git()
        let state = try TemporaryDirectory()
        let good = try git.commit("good", files: ["a.yaml": Self.template("1")])
        try git.push()
        let source = GitSource(spec: Self.spec(git.fileURL, state: state.path), logger: Self.logger)
        _ = await source.refresh()
        #expect(await source.load().isValid)

        let broken = try git.commit("broken", files: ["a.yaml": Self.template("2") + "bogus_key: 1\n"])
        try git.push()
        #expect(await source.refresh() == .applied(broken))
        let load = await source.load()
        #expect(!load.isValid)
        let error = try #require(load.diagnostics.first { $0.severity == .error })
        #expect(error.path == "a.yaml" && error.line > 0 && error.message.contains("bogus_key"))
        #expect(await source.status()?.error?.contains("config error") == true)

        // After a restart the last good commit is served, not nothing.
        let restarted = GitSource(spec: Self.spec(git.fileURL, state: state.path), logger: Self.logger)
        let served = await restarted.load()
        #expect(served.isValid && served.revision == "main@sha1:\(good)")
        #expect(await restarted.status()?.error?.contains("stays in force") == true)
    }

    @Test func symlinksLeavingTheTreeAndHugeRepositoriesAreRefused() async throws {
        let git = try Git()
        let state = try TemporaryDirectory()
        try git.write(["config/a.yaml": Self.template("1")])
        try FileManager.default.createSymbolicLink(atPath: git.work + "/config/inside.yaml", withDestinationPath: "a.yaml")
        try FileManager.default.createSymbolicLink(
            atPath: git.work + "/config/outside.yaml", withDestinationPath: "../../../../etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: git.work + "/config/absolute.yaml", withDestinationPath: "/etc/hostname")
        try git.commit("links")
        try git.push()
        let source = GitSource(spec: Self.spec(git.fileURL, state: state.path, path: "config"), logger: Self.logger)
        _ = await source.refresh()
        let load = await source.load()
        let messages = load.diagnostics.filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("config/outside.yaml") && $0.contains("leaves the repository") })
        #expect(messages.contains { $0.hasPrefix("config/absolute.yaml") && $0.contains("leaves the repository") })
        let inside = messages.filter { $0.hasPrefix("config/inside.yaml") }
        #expect(!inside.isEmpty && inside.allSatisfy { $0.contains("duplicate") },
            "a link inside the tree is followed: it declares a.yaml's objects again")

        let big = try Git()
        let noise = (0..<300_000).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined(separator: "\n")
        try big.commit("big", files: ["a.yaml": Self.template("1"), "noise.txt": noise])
        try big.push()
        let small = try TemporaryDirectory()
        let limited = GitSource(
            spec: Self.spec(big.fileURL, state: small.path, maxSize: Size(kibibytes: 512)), logger: Self.logger)
        guard case .failed(let reason) = await limited.refresh() else { Issue.record("an oversized repository applied"); return }
        #expect(reason.contains("max_size"))
        #expect(await limited.status()?.applied == nil)
    }

    @Test func anUnreachableRemoteBacksOffAndRemovesNothing() async throws {
        let git = try Git()
        let state = try TemporaryDirectory()
        let first = try git.commit("first", files: ["a.yaml": Self.template("1")])
        try git.push()
        let server = try GitServer.daemon(git)
        let source = GitSource(spec: Self.spec(server.url, state: state.path), logger: Self.logger)
        #expect(await source.refresh() == .applied(first))
        server.stop()
        guard case .failed(let reason) = await source.refresh() else { Issue.record("a dead remote fetched"); return }
        #expect(reason.contains("fetch"))
        _ = await source.refresh()
        let status = try #require(await source.status())
        #expect(status.failures == 2 && status.applied == "main@sha1:\(first)")
        let load = await source.load()
        #expect(load.isValid && Self.revision(load.state) == "1", "the applied commit stays in force")
        #expect(GitSource.backoff(failures: 1, interval: 10) == 10)
        #expect(GitSource.backoff(failures: 3, interval: 10) == 40)
        #expect(GitSource.backoff(failures: 30, interval: 10) == 300)
        #expect(GitSource.backoff(failures: 5, interval: 600) == 600)
    }

    @Test func aBundleFromAFetchCommandIsVerifiedTheSameWay() async throws {
        let git = try Git()
        let alice = try SSHKey(in: git.root, name: "alice")
        let state = try TemporaryDirectory()
        let signed = try git.commit("signed", signing: .ssh(alice), files: ["a.yaml": Self.template("1")])
        let command = ["git", "-C", git.work, "bundle", "create", "-", "main"]
        let source = GitSource(
            spec: Self.spec("", state: state.path, verification: .ssh(allowedSigners: alice.allowedSigners),
                fetchCommand: command),
            logger: Self.logger)
        #expect(await source.refresh() == .applied(signed))
        try git.commit("unsigned", files: ["a.yaml": Self.template("2")])
        guard case .refused = await source.refresh() else { Issue.record("an unsigned bundle head applied"); return }
        #expect(Self.revision(await source.load().state) == "1")

        let failing = GitSource(
            spec: Self.spec("", state: try TemporaryDirectory().path, fetchCommand: ["sh", "-c", "echo nope >&2; exit 3"]),
            logger: Self.logger)
        guard case .failed(let reason) = await failing.refresh() else { Issue.record("a failing command fetched"); return }
        #expect(reason.contains("nope"))
    }

    @Test func hostLayersOverACommonOneAndEveryHostValidates() async throws {
        let git = try Git()
        let state = try TemporaryDirectory()
        try git.commit("hosts", files: [
            "common/a.yaml": Self.template("common"),
            "hosts/dom0/dvm.yaml": """
                apiVersion: dispo/v1
                kind: DisposableTemplate
                name: default-dvm
                template: debian-12
                preload: { max: 5 }

                """,
            "hosts/laptop/extra.yaml": "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: extra\ntemplate: nowhere\n",
        ])
        try git.push()
        let spec = Self.spec(git.fileURL, state: state.path, layers: ["common", "hosts/${host}"])
        let source = GitSource(spec: spec, logger: Self.logger)
        _ = await source.refresh()
        let load = await source.load()
        #expect(load.isValid, "\(load.diagnostics)")
        #expect(load.state.disposableTemplates["default-dvm"]?.preload.max == 5, "the host layer replaces the common object")

        guard case .success(let every) = await source.loadFetched(host: nil) else { Issue.record("no hosts"); return }
        #expect(every.hosts.map(\.host) == ["dom0", "laptop"])
        #expect(every.hosts[0].load.isValid && !every.hosts[1].load.isValid)
        #expect(every.hosts[1].load.diagnostics.contains { $0.path == "hosts/laptop/extra.yaml" && $0.message.contains("nowhere") })

        let other = GitSource(spec: spec, host: "nas", logger: Self.logger)
        _ = await other.refresh()
        let missing = await other.load()
        #expect(missing.diagnostics.contains { $0.path == "hosts/nas" && $0.message.contains("dom0, laptop") })

        guard case .success(let worktree) = GitSource.loadWorktree(git.work, spec: spec, host: nil, defaultHost: "dom0") else {
            Issue.record("no hosts in the worktree"); return
        }
        #expect(worktree.map(\.host) == ["dom0", "laptop"] && worktree.map(\.load.isValid) == [true, false])
    }

    @Test func aPreviewOfABranchChangesNothingInForce() async throws {
        let git = try Git()
        let alice = try SSHKey(in: git.root, name: "alice")
        let state = try TemporaryDirectory()
        let main = try git.commit("main", signing: .ssh(alice), files: ["a.yaml": Self.template("1")])
        try git.push()
        try sh(["git", "-C", git.work, "checkout", "--quiet", "-b", "feature"])
        let feature = try git.commit("feature", files: ["a.yaml": Self.template("2", max: 4)])
        try git.push("feature")
        let source = GitSource(
            spec: Self.spec(git.fileURL, state: state.path, verification: .ssh(allowedSigners: alice.allowedSigners)),
            logger: Self.logger)
        #expect(await source.refresh() == .applied(main))
        guard case .success(let preview) = await source.preview("feature") else { Issue.record("no preview"); return }
        #expect(preview.revision == "feature@sha1:\(feature)")
        #expect(preview.load.state.disposableTemplates["default-dvm"]?.preload.max == 4)
        #expect(preview.wouldRefuse?.contains("unsigned") == true)
        guard case .success(let byHash) = await source.preview(String(feature.prefix(10))) else { Issue.record("no preview"); return }
        #expect(byHash.revision == "sha1:\(feature)")
        guard case .failure = await source.preview("no-such-branch") else { Issue.record("previewed nothing"); return }
        #expect(Self.revision(await source.load().state) == "1")
        let applied = await source.status()?.applied
        #expect(applied == "main@sha1:\(main)")
    }
}
