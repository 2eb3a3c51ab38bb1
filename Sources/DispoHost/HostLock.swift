import Foundation

#if canImport(Glibc)
    package import Glibc
#endif

/// Who holds a host: written into the host's owner file by the process that locked it.
package struct HostHolder: Sendable, Codable, Equatable {
    /// `watch` (the controller) or `apply`.
    package var command: String
    package var pid: Int32
    /// The host as the holder names it (`sim:/abs/host.json`, `xen`).
    package var host: String
    /// The config directory the holder applies.
    package var config: String
    /// The API socket a controller serves; nil for `apply` and `watch --no-socket`.
    package var socket: String?
    /// RFC 3339 time the lock was taken.
    package var since: String

    package init(command: String, pid: Int32 = getpid(), host: String, config: String, socket: String?, since: String) {
        self.command = command
        self.pid = pid
        self.host = host
        self.config = config
        self.socket = socket
        self.since = since
    }

    /// `the controller (dispo watch, pid 12, socket /run/dispo/dispo.sock)` / `dispo apply (pid 12)`.
    package var summary: String {
        if command == "watch" {
            let served = socket.map { "socket \($0)" } ?? "no socket"
            return "the controller (dispo watch, pid \(pid), \(served), config \(config))"
        }
        return "dispo \(command) (pid \(pid), config \(config))"
    }
}

/// One owner per host, as Terraform locks its state: the process that changes a host outside the controller's
/// hand-outs (the controller itself, or `dispo apply`) holds an open-file-description write lock
/// (`F_OFD_SETLK`) on the host's owner file for as long as it runs, with a ``HostHolder`` as the file's text.
///
/// The kernel drops the lock when the holder exits in any way (`kill -9` included), so a stale lock never
/// blocks: the next taker simply gets it. Asking who holds a host (``holder(at:)``) tests the lock with
/// `F_OFD_GETLK` without taking it and never creates the file, so read-only commands leave no trace. The file is
/// never removed (removing a lock file races with its next taker); its text is only meaningful while locked.
package final class HostLock: Sendable {
    package let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Why a lock could not be taken.
    package enum Failure: Error, Sendable, CustomStringConvertible {
        /// Another live process holds the host (its record, when it had written one).
        case held(HostHolder?, path: String)
        case system(String)

        package var description: String {
            switch self {
            case .held(let holder?, _): return "\(holder.summary) holds \(holder.host) since \(holder.since)"
            case .held(nil, let path): return "another dispo process holds the host (lock \(path))"
            case .system(let message): return message
            }
        }
    }

    /// Takes the lock at once or fails with the current holder; creates the file (0644) and its folder (0755).
    package static func acquire(at path: String, as holder: HostHolder) throws(Failure) -> HostLock {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, access(directory, F_OK) != 0, mkdir(directory, 0o755) != 0, errno != EEXIST {
            throw .system("cannot create \(directory) for the host lock: \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw .system("cannot open the host lock \(path): \(String(cString: strerror(errno)))")
        }
        var request = Self.wholeFile(F_WRLCK)
        if fcntl(descriptor, Self.F_OFD_SETLK, &request) != 0 {
            let code = errno
            close(descriptor)
            if code == EAGAIN || code == EACCES { throw .held(Self.record(at: path), path: path) }
            throw .system("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        let lock = HostLock(path: path, descriptor: descriptor)
        var text = (try? JSONEncoder().encode(holder)).map { Array($0) } ?? []
        text.append(0x0A)
        guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, text, text.count, 0) == text.count else {
            throw .system("cannot write the host lock \(path): \(String(cString: strerror(errno)))")
        }
        return lock
    }

    /// Whether a live process holds the lock at `path`.
    package enum State: Sendable, Equatable {
        case free
        /// Held; with the holder's record when it had written one.
        case held(HostHolder?)
    }

    /// Who holds the lock at `path` now (free when the file does not exist). Creates nothing and takes nothing.
    package static func state(at path: String) -> State {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return .free }
        defer { close(descriptor) }
        var probe = Self.wholeFile(F_WRLCK)
        guard fcntl(descriptor, Self.F_OFD_GETLK, &probe) == 0, probe.l_type != Int16(F_UNLCK) else { return .free }
        return .held(record(at: path))
    }

    /// Drops the lock (closing the descriptor does too).
    package func release() {
        var request = Self.wholeFile(F_UNLCK)
        _ = fcntl(descriptor, Self.F_OFD_SETLK, &request)
    }

    private static func record(at path: String) -> HostHolder? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(HostHolder.self, from: data)
    }

    /// Linux's open-file-description lock commands (`<fcntl.h>` defines them only under `_GNU_SOURCE`).
    private static let F_OFD_GETLK: Int32 = 36
    private static let F_OFD_SETLK: Int32 = 37

    private static func wholeFile(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        lock.l_pid = 0
        return lock
    }
}
