import DispoTestKit
import DispoWatch
import Foundation
import Testing

extension WatchTests {
    /// The config directory itself replaced, removed, created late, reached through a swapped symlink, or
    /// rewritten by git.
    struct DirectoryReplacement {
        @Test func removedAndRecreated() async throws {
            let base = try TemporaryDirectory(["cfg/a.yaml": "old"])
            let cfg = base.path + "/cfg"
            let probe = await WatchProbe(cfg)
            try Files.remove(cfg)
            try Files.makeDirectory(cfg)
            try Files.writeInPlace(cfg + "/a.yaml", "new")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "new" })
            // The new directory is the one watched now.
            try Files.writeInPlace(cfg + "/a.yaml", "newer")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "newer" })
        }

        @Test func removedThenRecreatedLater() async throws {
            let base = try TemporaryDirectory(["cfg/a.yaml": "old"])
            let cfg = base.path + "/cfg"
            let probe = await WatchProbe(cfg)
            try Files.remove(cfg)
            try await probe.tick(until: { !FileManager.default.fileExists(atPath: cfg) })
            try Files.makeDirectory(cfg)
            try await probe.tick(until: { FileManager.default.fileExists(atPath: cfg) })
            try Files.writeInPlace(cfg + "/a.yaml", "new")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "new" })
        }

        @Test func missingAtStartThenCreatedWithAncestors() async throws {
            let base = try TemporaryDirectory()
            let cfg = base.path + "/not/yet/cfg"
            let probe = await WatchProbe(cfg)
            #expect(probe.watcher.lastProblem == nil)
            try Files.makeDirectory(base.path + "/not")
            try await probe.tick(until: { FileManager.default.fileExists(atPath: base.path + "/not") })
            try Files.makeDirectory(cfg)
            try Files.writeInPlace(cfg + "/a.yaml", "a")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "a" })
            try Files.writeInPlace(cfg + "/a.yaml", "a2")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "a2" })
        }

        /// Deploy tools: a new symlink next to the old one, renamed over it (atomic swap).
        @Test func symlinkSwappedByRename() async throws {
            let base = try TemporaryDirectory(["v1/a.yaml": "one", "v2/a.yaml": "two"])
            let cfg = base.path + "/cfg"
            try Files.symlink("v1", at: cfg)
            let probe = await WatchProbe(cfg)
            try Files.symlink("v2", at: base.path + "/.cfg.tmp")
            try Files.rename(base.path + "/.cfg.tmp", cfg)
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "two" })
            // The new target is watched, the old one no longer.
            try Files.writeInPlace(base.path + "/v2/b.yaml", "b")
            try await probe.tick(until: { Files.read(cfg + "/b.yaml") == "b" })
            try Files.writeInPlace(base.path + "/v1/a.yaml", "one again")
            #expect(await probe.ticks(during: .seconds(1)).isEmpty)
        }

        @Test func symlinkSwappedWithLnSfn() async throws {
            let base = try TemporaryDirectory(["v1/a.yaml": "one", "v2/a.yaml": "two"])
            let cfg = base.path + "/cfg"
            try Files.symlink(base.path + "/v1", at: cfg)
            let probe = await WatchProbe(cfg)
            try Files.run("/usr/bin/ln", ["-sfn", base.path + "/v2", cfg], in: base.path)
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "two" })
            try Files.writeInPlace(base.path + "/v2/a.yaml", "two again")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "two again" })
        }

        /// `/srv/current -> releases/N` with the config below it: the swapped symlink is an ancestor.
        @Test func symlinkedAncestorSwapped() async throws {
            let base = try TemporaryDirectory(["r1/config/a.yaml": "one", "r2/config/a.yaml": "two"])
            try Files.symlink("r1", at: base.path + "/current")
            let cfg = base.path + "/current/config"
            let probe = await WatchProbe(cfg)
            try Files.symlink("r2", at: base.path + "/current.new")
            try Files.rename(base.path + "/current.new", base.path + "/current")
            try await probe.tick(until: { Files.read(cfg + "/a.yaml") == "two" })
        }

        @Test func symlinkedSubfolderInsideTheTreeIsFollowed() async throws {
            let base = try TemporaryDirectory(["cfg/a.yaml": "a", "shared/s.yaml": "s"])
            try Files.symlink("../shared", at: base.path + "/cfg/shared")
            let probe = await WatchProbe(base.path + "/cfg")
            try Files.writeInPlace(base.path + "/shared/s.yaml", "s2")
            try await probe.tick(until: { Files.read(base.path + "/cfg/shared/s.yaml") == "s2" })
        }

        /// The config directory is a git work tree; `.git` is busy during a checkout but not watched.
        @Test func gitCheckoutOfAnotherBranch() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "main\n"])
            try Files.git("init", "-q", in: dir.path)
            try Files.git("add", ".", in: dir.path)
            try Files.git("commit", "-q", "-m", "main", in: dir.path)
            try Files.git("checkout", "-q", "-b", "other", in: dir.path)
            try Files.writeInPlace(dir.path + "/a.yaml", "other\n")
            try dir.write("sub/b.yaml", "b\n")
            try Files.git("add", ".", in: dir.path)
            try Files.git("commit", "-q", "-m", "other", in: dir.path)
            try Files.git("checkout", "-q", "main", in: dir.path)
            #expect(Files.read(dir.path + "/a.yaml") == "main\n")

            let probe = await WatchProbe(dir.path)
            try Files.git("checkout", "-q", "other", in: dir.path)
            try await probe.tick(until: {
                Files.read(dir.path + "/a.yaml") == "other\n" && Files.read(dir.path + "/sub/b.yaml") == "b\n"
            })
            try Files.git("checkout", "-q", "main", in: dir.path)
            try await probe.tick(until: {
                Files.read(dir.path + "/a.yaml") == "main\n"
                    && !FileManager.default.fileExists(atPath: dir.path + "/sub")
            })
            // Git's own bookkeeping alone (inside .git) does not tick.
            try Files.git("gc", "-q", in: dir.path)
            #expect(await probe.ticks(during: .seconds(1)).isEmpty)
        }
    }
}
