#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX calls the loader needs, with errors as values.
enum FileSystem {
    struct Status {
        var isDirectory: Bool
        var isRegular: Bool
        var size: Int
        var owner: UInt32
        var mode: UInt32
        var device: UInt64
        var inode: UInt64

        init(_ raw: stat) {
            let type = UInt32(raw.st_mode) & UInt32(S_IFMT)
            isDirectory = type == UInt32(S_IFDIR)
            isRegular = type == UInt32(S_IFREG)
            size = Int(raw.st_size)
            owner = UInt32(raw.st_uid)
            mode = UInt32(raw.st_mode) & 0o7777
            device = UInt64(raw.st_dev)
            inode = UInt64(raw.st_ino)
        }
    }

    /// `stat` (following symlinks).
    static func status(_ path: String) -> Result<Status, SystemError> {
        var raw = stat()
        guard stat(path, &raw) == 0 else { return .failure(SystemError(errno: errno)) }
        return .success(Status(raw))
    }

    /// The canonical absolute path (symlinks resolved), or nil when it cannot be resolved.
    static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in a directory (without `.` and `..`), and separately those that are not UTF-8 (shown with U+FFFD where a byte is
    /// invalid) and could hold config (a `*.yaml`/`*.yml` name, a directory or a link): such an entry cannot be
    /// opened by a repaired name, so the scan reports it instead of skipping it.
    static func entries(_ path: String) -> Result<(names: [String], unreadable: [String]), SystemError> {
        guard let dir = opendir(path) else { return .failure(SystemError(errno: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        var unreadable: [String] = []
        while let entry = readdir(dir) {
            let (name, valid) = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { pointer in
                    (String(cString: pointer), String(validatingCString: pointer) != nil)
                }
            }
            guard name != "." && name != ".." else { continue }
            if valid {
                names.append(name)
            } else if ConfigFile.isConfigName(name) || ![UInt8(DT_REG), UInt8(DT_FIFO), UInt8(DT_SOCK)].contains(entry.pointee.d_type) {
                unreadable.append(name)  // a config file, or a directory (or link) that may hold some
            }
        }
        return .success((names, unreadable))
    }

    /// Reads a regular file of at most `limit` bytes without blocking on FIFOs or devices.
    static func readFile(_ path: String, limit: Int) -> Result<(bytes: [UInt8], status: Status), ReadError> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system(SystemError(errno: errno))) }
        defer { close(fd) }
        var raw = stat()
        guard fstat(fd, &raw) == 0 else { return .failure(.system(SystemError(errno: errno))) }
        let status = Status(raw)
        guard status.isRegular else { return .failure(.notRegular) }
        guard status.size <= limit else { return .failure(.tooLarge(status.size)) }
        var bytes = [UInt8](repeating: 0, count: status.size + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + count, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.system(SystemError(errno: errno)))
            }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { return .failure(.tooLarge(count)) }
        bytes.removeSubrange(count...)
        return .success((bytes, status))
    }

    enum ReadError: Error {
        case system(SystemError)
        case notRegular
        case tooLarge(Int)
    }

    static var effectiveUser: UInt32 { UInt32(geteuid()) }
}

/// An `errno` with its text.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32

    public init(errno code: Int32) {
        self.code = code
    }

    public var description: String { String(cString: strerror(code)) }
    public var isNotFound: Bool { code == ENOENT }
}
