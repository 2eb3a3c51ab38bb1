/// Tuning of the watcher thread; the public initialiser uses the defaults, tests shorten them.
struct WatchOptions: Sendable {
    /// How often to tick while watches cannot be set (inotify limits, permissions, another watcher).
    var fallbackInterval: Duration = .seconds(5)
    /// A burst that keeps going is cut after this long so a writer that never pauses still causes rescans.
    var longestBurst: Duration = .seconds(5)
    /// How long a new watcher waits for another one in this process to release libinotifytools.
    var libraryWait: Duration = .seconds(2)
    /// Pretend the kernel refuses watches (ENOSPC) past this many; `nil` for the real limits.
    var watchLimit: Int? = nil
}
