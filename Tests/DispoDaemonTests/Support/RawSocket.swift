import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Unix-socket client for tests that send what no HTTP client would: raw bytes, slowly, or too many.
/// Its calls block; run them off the cooperative pool with ``offPool(_:)``.
final class RawSocket: @unchecked Sendable {
    let descriptor: Int32

    /// Connects to `path`; nil when nothing accepts there.
    init?(_ path: String, receiveTimeout seconds: Int = 30) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Sends all of `text`; false when the peer closed.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Everything until the peer closes (or the receive timeout passes): the text, and whether it closed.
    func readToEnd() -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if count < 0 {
                // ECONNRESET: the server closed with our unread bytes in its buffer, which is a close too.
                return (String(decoding: received, as: UTF8.self), errno == ECONNRESET)
            }
            received += buffer[0..<count]
        }
    }
}

/// Runs blocking work on a thread of its own, so that it does not hold one of the few cooperative threads the
/// server under test needs.
func offPool<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

/// One request over a fresh connection; the raw answer (empty if it could not connect).
func rawExchange(_ path: String, _ text: String) -> String {
    guard let socket = RawSocket(path) else { return "connect failed" }
    socket.send(text)
    return socket.readToEnd().text
}
