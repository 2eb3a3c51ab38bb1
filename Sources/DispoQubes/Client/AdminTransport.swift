import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Carries one request frame to qubesd and brings back everything it wrote until it closed the connection.
///
/// ``UnixSocketTransport`` talks to a real qubesd; tests replay recorded transcripts through another conformer.
public protocol AdminTransport: Sendable {
    /// Sends `frame`, half-closes, reads to EOF. Throws ``QubesError/Code/unavailable`` when there is no qubesd.
    func exchange(_ frame: [UInt8]) async throws(QubesError) -> [UInt8]
    /// Sends `frame`, half-closes, and yields the bytes as they come (`admin.Events`), until EOF or until the
    /// consumer stops iterating (then the connection is closed).
    func stream(_ frame: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error>
}

/// qubesd's Unix socket (`/var/run/qubesd.sock` in a dom0). Each call is its own connection, as qubesd wants;
/// the blocking socket calls run on a Dispatch queue, never on the cooperative pool.
public struct UnixSocketTransport: AdminTransport {
    public static let defaultPath = "/var/run/qubesd.sock"
    public let path: String
    private static let queue = DispatchQueue(label: "dispo.qubes.admin-socket", attributes: .concurrent)

    public init(path: String = Self.defaultPath) {
        self.path = path
    }

    public func exchange(_ frame: [UInt8]) async throws(QubesError) -> [UInt8] {
        let path = self.path
        let result: Result<[UInt8], QubesError> = await withCheckedContinuation { continuation in
            Self.queue.async {
                continuation.resume(returning: Result { () throws(QubesError) -> [UInt8] in
                    let fd = try Self.connect(path)
                    defer { close(fd) }
                    try Self.send(fd, frame, path: path)
                    var reply: [UInt8] = []
                    try Self.readAll(fd, path: path) { reply += $0 }
                    return reply
                })
            }
        }
        return try result.get()
    }

    public func stream(_ frame: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        let path = self.path
        return AsyncThrowingStream { continuation in
            let descriptor = Mutex<Int32>(-1)
            continuation.onTermination = { _ in
                descriptor.withLock { fd in if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) } }
            }
            Self.queue.async {
                do {
                    let fd = try Self.connect(path)
                    descriptor.withLock { $0 = fd }
                    defer {
                        descriptor.withLock { $0 = -1 }
                        close(fd)
                    }
                    try Self.send(fd, frame, path: path)
                    try Self.readAll(fd, path: path) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    private static func connect(_ path: String) throws(QubesError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw unavailable(path, "socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            close(fd)
            throw unavailable(path, "socket path longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw unavailable(path, "cannot connect: \(reason) (is qubesd running? dispo must run in dom0, as a "
                + "member of group qubes)")
        }
        return fd
    }

    private static func send(_ fd: Int32, _ frame: [UInt8], path: String) throws(QubesError) {
        var offset = 0
        while offset < frame.count {
            let written = frame[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw unavailable(path, "write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    private static func readAll(_ fd: Int32, path: String, _ consume: ([UInt8]) -> Void) throws(QubesError) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw unavailable(path, "read: \(String(cString: strerror(errno)))")
            }
            consume(Array(buffer[0..<count]))
        }
    }

    private static func unavailable(_ path: String, _ message: String) -> QubesError {
        QubesError(.unavailable, "\(path): \(message)")
    }
}
