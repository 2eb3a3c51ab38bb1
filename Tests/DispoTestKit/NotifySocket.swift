public import Foundation
import Synchronization

/// A real `AF_UNIX` datagram socket bound in a temporary directory (or in the abstract namespace): what systemd's
/// `$NOTIFY_SOCKET` is, receiving what the daemon sends.
public final class NotifySocket: Sendable {
    /// What goes into `$NOTIFY_SOCKET`: the path, or `@name`.
    public let name: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])
    // Keeps the directory (and so the socket's path) alive as long as the socket. Unchecked: it is never used
    // after init, only released with the socket.
    nonisolated(unsafe) private let directory: TemporaryDirectory?

    /// - Parameter abstract: bind a name in the abstract namespace instead of a path.
    public init(abstract: Bool = false) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        let bytes: [UInt8]
        if abstract {
            directory = nil
            name = "@dispo-notify-test-\(getpid())-\(UUID().uuidString.prefix(8))"
            bytes = [0] + Array(name.utf8.dropFirst())
        } else {
            let folder = try TemporaryDirectory()
            directory = folder
            name = folder.path + "/notify"
            bytes = Array(name.utf8) + [0]
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t((MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2) + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(descriptor) }

    /// Every datagram received so far (reading what is waiting, without blocking).
    public var messages: [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            guard count > 0 else { break }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            received.withLock { $0.append(text) }
        }
        return received.withLock { $0 }
    }

    /// The received messages that carry `KEY=VALUE` as one of their lines.
    public func messages(with field: String) -> [String] {
        messages.filter { $0.split(separator: "\n").contains(Substring(field)) }
    }

    /// Forgets what was received.
    public func reset() {
        _ = messages
        received.withLock { $0 = [] }
    }
}
