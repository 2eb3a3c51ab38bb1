import CInotifyTools

#if canImport(Glibc)
    import Glibc
#endif

/// libinotifytools' global inotify instance, from `inotifytools_initialize` to `inotifytools_cleanup`.
///
/// Use it on the watcher thread only (the library is not thread-safe). The library does the watch bookkeeping;
/// events are read here straight from its descriptor because `inotifytools_next_event` takes its timeout in
/// whole seconds (0 meaning forever) and buffers events internally, which rules out a 200 ms debounce and a
/// `poll` that also waits for the stop eventfd. The library hides its descriptor, so it is found as the inotify
/// descriptor that `inotifytools_initialize` added to /proc/self/fd.
final class InotifySession {
    /// What every watch asks for: content, metadata, entries coming and going, the folder itself moving.
    static let mask: Int32 =
        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW

    let descriptor: Int32
    private let watchLimit: Int?
    private var watchCount = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    private init(descriptor: Int32, watchLimit: Int?) {
        self.descriptor = descriptor
        self.watchLimit = watchLimit
    }

    /// Initialises the library; the error says what to do.
    static func open(watchLimit: Int?) -> Result<InotifySession, WatchProblem> {
        let before = inotifyDescriptors()
        guard inotifytools_initialize() != 0 else {
            let code = inotifytools_error()
            let limit = inotifytools_get_max_user_instances()
            let hint = code == EMFILE ? " (fs.inotify.max_user_instances is \(limit); raise it with sysctl)" : ""
            return .failure(WatchProblem("cannot create an inotify instance: \(describe(code))\(hint)"))
        }
        let added = inotifyDescriptors().subtracting(before)
        guard added.count == 1, let descriptor = added.first else {
            inotifytools_cleanup()
            return .failure(WatchProblem("cannot find libinotifytools' inotify descriptor in /proc/self/fd"))
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return .success(InotifySession(descriptor: descriptor, watchLimit: watchLimit))
    }

    /// Watches one directory (not recursively); returns the watch descriptor or the errno.
    func watch(directory: String) -> Result<Int32, OSError> {
        if let watchLimit, watchCount >= watchLimit { return .failure(OSError(ENOSPC)) }
        let path = directory.hasSuffix("/") ? directory : directory + "/"
        guard inotifytools_watch_file(path, Self.mask) != 0 else {
            let code = inotifytools_error()
            return .failure(OSError(code == 0 ? EINVAL : code))
        }
        let watch = inotifytools_wd_from_filename(path)
        guard watch >= 0 else { return .failure(OSError(ENOENT)) }
        watchCount += 1
        return .success(watch)
    }

    /// Reads the events that are ready (call after `poll` reported the descriptor readable).
    func read() -> Result<[InotifyEvent], OSError> {
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return Glibc.read(descriptor, base, raw.count)
        }
        if count < 0 {
            let code = errno
            return code == EINTR || code == EAGAIN ? .success([]) : .failure(OSError(code))
        }
        return .success(buffer.withUnsafeBytes { InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: $0[..<count])) })
    }

    /// Removes every watch and closes the descriptor (`inotifytools_cleanup`).
    func close() {
        inotifytools_cleanup()
    }

    /// The inotify descriptors open in this process.
    private static func inotifyDescriptors() -> Set<Int32> {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var found: Set<Int32> = []
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard let descriptor = Int32(name) else { continue }
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            guard length > 0 else { continue }
            let link = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link == "anon_inode:inotify" { found.insert(descriptor) }
        }
        return found
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A reason the watcher cannot watch everything, phrased for the log.
struct WatchProblem: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
