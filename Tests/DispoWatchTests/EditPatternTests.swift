import DispoTestKit
import DispoWatch
import Foundation
import Testing

extension WatchTests {
    /// How editors and tools change files inside the config directory; each must tick, and a rescan after the tick
    /// must see the new content.
    struct EditPatterns {
        @Test func inPlaceWrite() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "old"])
            let probe = await WatchProbe(dir.path)
            try Files.writeInPlace(dir.path + "/a.yaml", "new")
            try await probe.tick(until: { Files.read(dir.path + "/a.yaml") == "new" })
        }

        @Test func writeToTemporaryThenRenameOver() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "old"])
            let probe = await WatchProbe(dir.path)
            try dir.write(".a.yaml.tmp123", "new")
            try Files.rename(dir.path + "/.a.yaml.tmp123", dir.path + "/a.yaml")
            try await probe.tick(until: { Files.read(dir.path + "/a.yaml") == "new" })
        }

        /// vim's default: probe with `4913`, move the original to `a.yaml~`, write a new `a.yaml`.
        @Test func vimStyleBackupAndRewrite() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "old"])
            let probe = await WatchProbe(dir.path)
            try dir.write("4913", "")
            try Files.remove(dir.path + "/4913")
            try Files.rename(dir.path + "/a.yaml", dir.path + "/a.yaml~")
            try Files.writeInPlace(dir.path + "/a.yaml", "new")
            try Files.remove(dir.path + "/a.yaml~")
            try await probe.tick(until: { Files.read(dir.path + "/a.yaml") == "new" })
        }

        @Test func deleteThenCreate() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "old"])
            let probe = await WatchProbe(dir.path)
            try Files.remove(dir.path + "/a.yaml")
            try Files.writeInPlace(dir.path + "/a.yaml", "new")
            try await probe.tick(until: { Files.read(dir.path + "/a.yaml") == "new" })
        }

        @Test func deleteOnly() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "old", "sub/b.yaml": "b"])
            let probe = await WatchProbe(dir.path)
            try Files.remove(dir.path + "/sub/b.yaml")
            try await probe.tick(until: { !FileManager.default.fileExists(atPath: dir.path + "/sub/b.yaml") })
        }

        @Test func chmodTicks() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "same"])
            let probe = await WatchProbe(dir.path)
            chmod(dir.path + "/a.yaml", 0o664)
            try await probe.tick(until: { Files.mode(dir.path + "/a.yaml") == 0o664 })
        }

        @Test func chmodOfTheDirectoryItselfTicks() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "same"])
            let probe = await WatchProbe(dir.path)
            chmod(dir.path, 0o775)
            try await probe.tick(until: { Files.mode(dir.path) == 0o775 })
        }

        @Test func moveBetweenFolders() async throws {
            let dir = try TemporaryDirectory(["one/a.yaml": "a", "two/b.yaml": "b"])
            let probe = await WatchProbe(dir.path)
            try Files.rename(dir.path + "/one/a.yaml", dir.path + "/two/a.yaml")
            try await probe.tick(until: { Files.read(dir.path + "/two/a.yaml") == "a" })
        }

        @Test func newSubdirectoryThenAFileInIt() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            let probe = await WatchProbe(dir.path)
            try Files.makeDirectory(dir.path + "/later")
            try await probe.tick(until: { FileManager.default.fileExists(atPath: dir.path + "/later") })
            // The new folder is watched now: a file written into it later ticks on its own.
            try Files.writeInPlace(dir.path + "/later/b.yaml", "b")
            try await probe.tick(until: { Files.read(dir.path + "/later/b.yaml") == "b" })
            try Files.writeInPlace(dir.path + "/later/b.yaml", "b2")
            try await probe.tick(until: { Files.read(dir.path + "/later/b.yaml") == "b2" })
        }

        @Test func nestedSubdirectoriesWithFilesAtOnce() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            let probe = await WatchProbe(dir.path)
            try Files.makeDirectory(dir.path + "/x/y/z")
            try Files.writeInPlace(dir.path + "/x/y/z/c.yaml", "c")
            try await probe.tick(until: { Files.read(dir.path + "/x/y/z/c.yaml") == "c" })
            try Files.writeInPlace(dir.path + "/x/y/z/c.yaml", "c2")
            try await probe.tick(until: { Files.read(dir.path + "/x/y/z/c.yaml") == "c2" })
        }

        /// A whole folder swapped in by renames, the way `rsync --delay-updates` or a deploy step does it.
        @Test func wholeSubdirectoryReplacedByRename() async throws {
            let dir = try TemporaryDirectory(["sub/a.yaml": "old", "sub/gone.yaml": "x"])
            let probe = await WatchProbe(dir.path)
            try Files.makeDirectory(dir.path + "/.sub.new")
            try Files.writeInPlace(dir.path + "/.sub.new/a.yaml", "new")
            try Files.rename(dir.path + "/sub", dir.path + "/.sub.old")
            try Files.rename(dir.path + "/.sub.new", dir.path + "/sub")
            try Files.remove(dir.path + "/.sub.old")
            try await probe.tick(until: {
                Files.read(dir.path + "/sub/a.yaml") == "new"
                    && !FileManager.default.fileExists(atPath: dir.path + "/sub/gone.yaml")
            })
            // The replacement folder is the one watched now.
            try Files.writeInPlace(dir.path + "/sub/a.yaml", "newer")
            try await probe.tick(until: { Files.read(dir.path + "/sub/a.yaml") == "newer" })
        }
    }
}
