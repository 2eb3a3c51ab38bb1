import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the daemon's socket lives, and the checks that keep it private.
package enum SocketPath {
    /// `$DISPO_SOCKET`, else `/run/dispo/dispo.sock` as root, else `$XDG_RUNTIME_DIR/dispo/dispo.sock`, else
    /// `$XDG_STATE_HOME/dispo/dispo.sock` (default `~/.local/state/dispo/`): never a shared directory such as
    /// `/tmp`, where another user could create the directory first and serve a fake daemon.
    package static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["DISPO_SOCKET"], !path.isEmpty { return path }
        if geteuid() == 0 { return "/run/dispo/dispo.sock" }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return runtime + "/dispo/dispo.sock" }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/dispo/dispo.sock" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/dispo/dispo.sock"
    }

    /// Why a client must not trust the socket at `path` (nil: it may): the socket and its directory must belong
    /// to this user or root, and the directory must not be writable by others (unless sticky, as `/tmp` is,
    /// where only the owner of a name can replace it). Otherwise another user could serve a fake daemon whose
    /// answers (a forged hand-out) the CLI would print as true. A missing socket is not a problem here.
    package static func trustProblem(_ path: String) -> String? {
        var socketInfo = stat()
        guard lstat(path, &socketInfo) == 0 else { return nil }
        let me = geteuid()
        guard socketInfo.st_mode & S_IFMT == S_IFSOCK else { return "\(path) is not a socket; refusing to talk to it" }
        if socketInfo.st_uid != me, socketInfo.st_uid != 0 {
            return "\(path) belongs to uid \(socketInfo.st_uid), neither you nor root; refusing to trust it (a fake daemon?)"
        }
        let directory = (path as NSString).deletingLastPathComponent
        var directoryInfo = stat()
        guard stat(directory.isEmpty ? "." : directory, &directoryInfo) == 0 else { return nil }
        if directoryInfo.st_uid != me, directoryInfo.st_uid != 0 {
            return "the socket directory \(directory) belongs to uid \(directoryInfo.st_uid), neither you nor root; "
                + "refusing to trust \(path) (a fake daemon?)"
        }
        if directoryInfo.st_mode & 0o022 != 0, directoryInfo.st_mode & S_ISVTX == 0 {
            return "the socket directory \(directory) is writable by others; refusing to trust \(path)"
        }
        return nil
    }

    /// Creates the socket's directory (0755, ours) if missing, refuses one writable by others or owned by
    /// someone else, refuses a socket another daemon answers on, and removes a stale socket file (one nothing
    /// answers on, left by a daemon that died); throws a message saying what to do.
    package static func prepare(_ path: String) throws(SocketPathError) {
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        if stat(directory, &info) != 0 {
            let parent = (directory as NSString).deletingLastPathComponent
            if !parent.isEmpty, access(parent, F_OK) != 0 {
                try? FileManager.default.createDirectory(
                    atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST, stat(directory, &info) == 0 else {
                throw SocketPathError("cannot create the socket directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SocketPathError("\(directory) is not a directory")
        }
        // A shared directory, sticky or not (1777 /tmp included), is refused: the socket belongs in a
        // directory of its own.
        if info.st_mode & 0o022 != 0 {
            throw SocketPathError(
                "the socket directory \(directory) is writable by group or others; refusing (chmod go-w it or use --socket)")
        }
        if info.st_uid != geteuid(), info.st_uid != 0 {
            throw SocketPathError("the socket directory \(directory) is owned by uid \(info.st_uid); refusing")
        }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            guard existing.st_mode & S_IFMT == S_IFSOCK else {
                throw SocketPathError("\(path) exists and is not a socket; refusing to replace it")
            }
            if APIClient.isServing(path) {
                throw SocketPathError(
                    "another daemon answers on \(path); refusing to take its socket (stop it, or use another --socket)")
            }
            unlink(path)
        }
    }

    /// This process's descriptors of Unix sockets listening on a path in `directory` (from `/proc/self/fd`).
    package static func listeners(in directory: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap(Int32.init).filter {
            boundPath($0)?.hasPrefix(directory + "/") == true && isListening($0)
        }
    }

    private static func isListening(_ descriptor: Int32) -> Bool {
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0
    }

    /// The path a Unix socket is bound to; nil for anything else.
    private static func boundPath(_ descriptor: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        return withUnsafeBytes(of: address.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Mode 0660 and, when given, the group (name or number).
    package static func restrict(_ path: String, group: String?) throws(SocketPathError) {
        guard chmod(path, 0o660) == 0 else {
            throw SocketPathError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        guard let group else { return }
        let gid: gid_t
        if let number = gid_t(group) {
            gid = number
        } else if let entry = getgrnam(group) {
            gid = entry.pointee.gr_gid
        } else {
            throw SocketPathError("unknown group \(group)")
        }
        guard chown(path, uid_t.max, gid) == 0 else {
            throw SocketPathError("cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
        }
    }
}

/// A problem with the socket's place, with what to do.
package struct SocketPathError: Error, CustomStringConvertible {
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}
