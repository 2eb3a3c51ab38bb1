import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The API socket's listener: binds `path` with its final mode and group already set, accepts connections and
/// serves each as an ``APIConnection`` with ``RequestHead/Limits``. Its descriptors are close-on-exec (libxl
/// forks hotplug scripts; one that inherited the listening socket kept a killed daemon's socket accepting). ``ConnectionTable`` keeps ``RequestHead/Limits/connections`` at most.
struct APIListener: Sendable {
    let path: String
    let group: String?
    let handler: any HTTPHandler
    let limits: RequestHead.Limits

    /// Binds and listens. The socket is bound under a temporary name in the same directory, given mode 0660 and
    /// the group, and only then renamed to `path`: nobody can connect to it before its mode is set.
    func bind() throws(SocketPathError) -> Int32 {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.dispo-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard temporary.utf8.count < capacity, path.utf8.count < capacity else {
            throw SocketPathError("the socket path \(path) is longer than \(capacity - 1) bytes; use a shorter --socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: temporary.utf8)
            raw[temporary.utf8.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketPathError("cannot make a socket: \(Self.lastError)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = Self.lastError
            close(descriptor)
            throw SocketPathError("cannot bind \(temporary): \(error)")
        }
        do {
            try SocketPath.restrict(temporary, group: group)
            guard listen(descriptor, SOMAXCONN) == 0 else { throw SocketPathError("cannot listen: \(Self.lastError)") }
            guard rename(temporary, path) == 0 else {
                throw SocketPathError("cannot move the socket to \(path): \(Self.lastError)")
            }
        } catch let error as SocketPathError {
            unlink(temporary)
            close(descriptor)
            throw error
        } catch {
            unlink(temporary)
            close(descriptor)
            throw SocketPathError("\(error)")
        }
        return descriptor
    }

    /// Accepts and serves on `descriptor` (from ``bind()``) until cancelled; closes it then.
    func serve(_ descriptor: Int32) async throws {
        let pool = HTTPServer.defaultPool()
        try await pool.prepare()
        let listening = Socket(file: .init(rawValue: descriptor))
        try listening.setFlags(.nonBlocking)
        defer { try? listening.close() }
        let table = ConnectionTable()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await pool.run() }
            while !Task.isCancelled {
                // Glibc's module has no accept4: the flags follow at once (a fork in between could inherit this
                // one client connection, never the listening socket).
                let accepted = accept(descriptor, nil, nil)
                if accepted >= 0 { _ = fcntl(accepted, F_SETFD, FD_CLOEXEC) }
                if accepted < 0 {
                    switch errno {
                    case EAGAIN, EWOULDBLOCK:
                        try await pool.suspendSocket(listening, untilReadyFor: .connection)
                    case EINTR, ECONNABORTED:
                        continue
                    case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                        // Out of descriptors or memory: back off instead of spinning; connections wait in the backlog.
                        try await Task.sleep(for: .milliseconds(100))
                    default:
                        throw SocketPathError("cannot accept on \(path): \(Self.lastError)")
                    }
                    continue
                }
                let connection = try AsyncSocket(socket: Socket(file: .init(rawValue: accepted)), pool: pool)
                let place = table.admit(accepted, limit: limits.connections)
                group.addTask { [handler, limits] in
                    var served = APIConnection(socket: connection, handler: handler, limits: limits)
                    guard let place else {
                        await served.refuse(.init(.serviceUnavailable, "too many connections; try again shortly"))
                        return
                    }
                    served.reading = { table.setReading(place, $0) }
                    served.leaving = { table.leave(place) }
                    await served.serve()
                }
            }
            throw CancellationError()
        }
    }

    private static var lastError: String { String(cString: strerror(errno)) }
}

/// The connections being served, shared by the accept loop and the connections' tasks. When all
/// ``RequestHead/Limits/connections`` places are taken, a new connection takes the place of the one that has been
/// waiting for (or reading) a request the longest, which is shut down: a flood of idle or slow connections cannot
/// keep `/v1/ping` out. Only when every connection has a request in the handler is a new one refused (503).
final class ConnectionTable: Sendable {
    private struct Entry {
        var descriptor: Int32
        /// Waiting for or reading a request (not in the handler), since this instant.
        var readingSince: ContinuousClock.Instant?
    }

    private let state = Mutex<(next: Int, entries: [Int: Entry])>((0, [:]))

    /// A place for the connection on `descriptor`, or nil when none can be freed.
    func admit(_ descriptor: Int32, limit: Int) -> Int? {
        state.withLock { state in
            if state.entries.count >= limit {
                let oldest = state.entries.compactMap { id, entry in entry.readingSince.map { (id, $0) } }
                    .min { $0.1 < $1.1 }
                guard let (id, _) = oldest, let evicted = state.entries.removeValue(forKey: id) else { return nil }
                // Its task sees the end of the stream and closes it; `leave` for it is then a no-op.
                shutdown(evicted.descriptor, Int32(SHUT_RDWR))
            }
            state.next += 1
            state.entries[state.next] = Entry(descriptor: descriptor, readingSince: .now)
            return state.next
        }
    }

    /// Whether connection `id` is reading a request (true) or has one in the handler (false).
    func setReading(_ id: Int, _ reading: Bool) {
        state.withLock { state in
            guard state.entries[id] != nil else { return }
            state.entries[id]?.readingSince = reading ? .now : nil
        }
    }

    /// Frees the place of connection `id`; before its descriptor is closed, so that an eviction never shuts down
    /// a reused descriptor.
    func leave(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }
}
