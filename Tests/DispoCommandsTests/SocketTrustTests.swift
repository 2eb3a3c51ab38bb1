import DispoTestKit
import Foundation
import Testing

/// Issue 16, socket spoofing: another user who owns the socket (or its directory) could serve a fake daemon,
/// and `dispo request` printed its forged hand-out with exit 0. The client refuses such a socket, and the
/// controller refuses a shared socket directory.
@Suite(.serialized)
struct SocketTrustTests {
    /// A listening Unix socket at `path` (whatever answers, the client must not get that far).
    static func listen(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let bytes = Array(path.utf8)
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 4) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return descriptor
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to give files to another uid"))
    func aSocketOrDirectoryOfAnotherUserIsRefused() throws {
        let root = try TemporaryDirectory()
        let directory = root.path + "/run"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/dispo.sock"
        let descriptor = try Self.listen(path)
        defer { close(descriptor) }

        chown(path, 4242, 4242)
        let bySocket = try BinaryRunner.run(["request", "default-dvm", "--socket", path])
        #expect(bySocket.status == 1 && bySocket.stderr.contains("belongs to uid 4242"), "\(bySocket.stderr)")
        #expect(bySocket.stdout.isEmpty, "nothing forged is printed")

        chown(path, 0, 0)
        chown(directory, 4242, 4242)
        let byDirectory = try BinaryRunner.run(["status", "--socket", path])
        #expect(byDirectory.status == 1 && byDirectory.stderr.contains("socket directory"), "\(byDirectory.stderr)")
    }

    @Test func theControllerRefusesASharedSocketDirectory() throws {
        let root = try TemporaryDirectory()
        let shared = root.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        chmod(shared, 0o1777)
        let host = "sim:" + root.path + "/host.json"
        #expect(try BinaryRunner.run(["sim", "init", "--host", host]).status == 0)
        let watch = try BinaryRunner.run(
            ["watch", "-c", BinaryRunner.packageRoot + "/examples/quickstart", "--host", host, "--socket", shared + "/dispo.sock"])
        #expect(watch.status == 1 && watch.stderr.contains("writable by group or others"), "\(watch.stderr)")
    }
}
