#if canImport(Glibc)
    import Glibc
#endif

/// Tells the service manager (systemd, `Type=notify`) how the daemon is doing: the `sd_notify` protocol.
///
/// Each message is one datagram of newline-separated `KEY=VALUE` lines sent to the `AF_UNIX` socket that
/// `$NOTIFY_SOCKET` names: a path, or a name in the abstract namespace when it starts with `@`. Without a socket
/// every send is a no-op, so the daemon runs the same outside systemd.
///
/// Written here instead of linking Debian's libsystemd: the protocol is one `sendto`, and the release binary
/// (Swift runtime linked statically) then needs no libsystemd at run time, also in a dom0 without systemd.
/// Sending is best effort, as `sd_notify` is: a failure is returned for logging, never thrown at the daemon.
public final class ServiceNotifier: Sendable {
    /// Where the datagrams go; nil: nowhere (not under systemd).
    public let socketName: String?

    /// A notifier that sends nothing.
    public static let disabled = ServiceNotifier(socketName: nil)

    /// - Parameter socketName: `$NOTIFY_SOCKET`'s value (a path, or `@name` for the abstract namespace); nil or
    ///   empty sends nothing.
    public init(socketName: String?) {
        self.socketName = socketName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The notifier for this process: `$NOTIFY_SOCKET`, then removed from the environment (with
    /// `$WATCHDOG_USEC` and `$WATCHDOG_PID`, read before by ``Watchdog/fromEnvironment(unsetting:)``) when
    /// `unsetting`, so that the processes dispo starts (git, libxl's hotplug scripts) do not talk to systemd
    /// in its name.
    public static func fromEnvironment(unsetting: Bool = true) -> ServiceNotifier {
        let name = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        if unsetting { unsetenv("NOTIFY_SOCKET") }
        return ServiceNotifier(socketName: name)
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { socketName != nil }

    /// Sends one message; nil when it was sent (or there is nowhere to send it).
    @discardableResult
    public func send(_ message: NotifyMessage) -> NotifyError? {
        guard let socketName else { return nil }
        return Self.send(message.datagram, to: socketName)
    }

    private static func send(_ datagram: String, to name: String) -> NotifyError? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its terminating NUL; an abstract name is exactly its bytes.
        guard bytes.count + (abstract ? 0 : 1) <= capacity else {
            return NotifyError(socket: name, message: "the socket name is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path).map { $0 + bytes.count + (abstract ? 0 : 1) }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return NotifyError(socket: name, message: "socket: \(Self.errnoText())") }
        defer { close(descriptor) }
        let payload = Array(datagram.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { buffer in
                    sendto(
                        descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress,
                        socklen_t(length ?? MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        guard sent == payload.count else { return NotifyError(socket: name, message: "sendto: \(Self.errnoText())") }
        return nil
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// `CLOCK_MONOTONIC` in microseconds: what `MONOTONIC_USEC` must carry (systemd compares it with its own
    /// reading of that clock, not with the daemon's injected one).
    public static func monotonicMicroseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1_000
    }
}

/// A notification that could not be sent.
public struct NotifyError: Error, Sendable, CustomStringConvertible {
    public var socket: String
    public var message: String

    public var description: String { "cannot notify the service manager at \(socket): \(message)" }
}
