import DispoConfig
import DispoHost
import DispoTestKit
import DispoXen
import Foundation
import Testing

struct DiskFilesTests {
    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func stats(_ path: String) -> stat {
        var info = stat()
        _ = stat(path, &info)
        return info
    }

    /// An image with data, a 4 MiB hole and a tail.
    static func image(in directory: TemporaryDirectory) throws -> String {
        var content = Array("boot sector".utf8) + [UInt8](repeating: 0, count: 4 << 20)
        content += (0..<5000).map { UInt8($0 % 251) }
        return try directory.writeBytes("root.img", content)
    }

    @Test func copyFallsBackWhenReflinkFails() throws {
        let directory = try TemporaryDirectory()
        let source = try Self.image(in: directory)
        var attempts = 0
        let method = try DiskFiles.copy(from: source, to: directory.path + "/copy.img") { _, _ in
            attempts += 1
            errno = EOPNOTSUPP
            return -1
        }
        #expect(attempts == 1)
        #expect(method == .fullCopy)
        #expect(try Self.bytes(directory.path + "/copy.img") == Self.bytes(source))
        #expect(Self.stats(directory.path + "/copy.img").st_mode & 0o777 == 0o600)
        // the zero run was skipped: the copy is sparse (well under the 4 MiB of zeros it holds)
        #expect(Self.stats(directory.path + "/copy.img").st_blocks * 512 < 2 << 20)
    }

    /// Whatever this filesystem does (reflink on XFS/Btrfs, copy elsewhere), the contents are equal.
    @Test func copyWithTheRealClone() throws {
        let directory = try TemporaryDirectory()
        let source = try Self.image(in: directory)
        _ = try DiskFiles.copy(from: source, to: directory.path + "/copy.img")
        #expect(try Self.bytes(directory.path + "/copy.img") == Self.bytes(source))
    }

    @Test func copyRefusesAnExistingDestinationAndLeavesItAlone() throws {
        let directory = try TemporaryDirectory()
        let source = try directory.write("a.img", "a")
        let existing = try directory.write("b.img", "keep")
        #expect(throws: HostError.self) { try DiskFiles.copy(from: source, to: existing) }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep")
    }

    @Test func aMissingSourceLeavesNoDestination() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: HostError.self) { try DiskFiles.copy(from: directory.path + "/nope", to: directory.path + "/c") }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/c"))
    }

    @Test func volatileIsASparseFileOfTheSize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/volatile.img"
        try DiskFiles.createSparse(path, size: .mebibytes(2048))
        let info = Self.stats(path)
        #expect(info.st_size == 2048 << 20)
        #expect(info.st_blocks * 512 < 1 << 20)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(throws: HostError.self) { try DiskFiles.createSparse(path, size: .mebibytes(1)) }
    }

    @Test func directoriesAreMadeAndRemoved() throws {
        let directory = try TemporaryDirectory()
        let domain = directory.path + "/state/disks/disp1"
        try DiskFiles.makeDirectory(domain)
        #expect(Self.stats(domain).st_mode & 0o777 == 0o700)
        try DiskFiles.createSparse(domain + "/volatile.img", size: .mebibytes(1))
        try DiskFiles.removeDirectory(domain)
        #expect(!FileManager.default.fileExists(atPath: domain))
        try DiskFiles.removeDirectory(domain)  // gone already: nothing to do
    }
}

struct FileFingerprintTests {
    @Test func changesWhenAFileChanges() async throws {
        let directory = try TemporaryDirectory()
        let kernel = try directory.write("vmlinuz", "kernel v1")
        let files = [kernel, directory.path + "/initrd.img"]
        let first = FileFingerprint.fingerprint(files)
        #expect(first.count == 16)
        #expect(FileFingerprint.fingerprint(files) == first)
        #expect(FileFingerprint.describe(files)[1] == directory.path + "/initrd.img missing")

        try directory.write("initrd.img", "ramdisk")
        let second = FileFingerprint.fingerprint(files)
        #expect(second != first)

        try directory.write("vmlinuz", "kernel v2, longer")
        let third = FileFingerprint.fingerprint(files)
        #expect(third != second)

        // same size, only the modification time moves
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, kernel, &times, 0)
        let fourth = FileFingerprint.fingerprint(files)
        #expect(fourth != third)
        #expect(FileFingerprint.fingerprint([]) != fourth)
    }
}
