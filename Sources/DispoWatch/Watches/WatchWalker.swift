import CInotifyTools

#if canImport(Glibc)
    import Glibc
#endif

/// Sets the watches for a config path on a fresh `InotifySession`, always watching a folder before looking
/// into it, so anything that changes after the look fires an event.
struct WatchWalker {
    let session: InotifySession
    private(set) var watches = WatchSet()
    /// Watches that could not be set for a reason other than the path vanishing meanwhile.
    private(set) var problems: [WatchProblem] = []
    private var symlinksLeft = 256
    private static let deepest = 64

    init(session: InotifySession) {
        self.session = session
    }

    /// Watches everything that can change what the loader reads at `path`: the tree if it is a directory,
    /// the folders on the way for the names that lead to it.
    mutating func watchConfig(at path: String) {
        if let directory = resolve(path) { watchTree(directory, depth: 0) }
    }

    /// Watches `directory` and the folders under it (skipping ignored names, following symlinks once).
    mutating func watchTree(_ directory: String, depth: Int) {
        guard depth < Self.deepest, !watches.isTree(directory), let watch = watch(directory) else { return }
        watches.markTree(watch)
        let names: [String]
        switch Paths.entries(directory) {
        case .success(let found): names = found
        case .failure(let error):
            if error.code != ENOENT && error.code != ENOTDIR { note(error.code, directory, "cannot list") }
            return
        }
        for name in names where !IgnoredNames.contains(name) {
            let child = Paths.join(directory, name)
            switch Paths.kind(child) {
            case .directory: watchTree(child, depth: depth + 1)
            case .symlink: if let target = resolve(child) { watchTree(target, depth: depth + 1) }
            case .missing, .other: break
            }
        }
    }

    /// Walks `path` name by name like realpath(3), watching the folder that holds the last name and every
    /// symlink met on the way (for that name), or the nearest existing ancestor when a name is missing.
    /// Returns the real directory `path` leads to, or `nil` when it is missing or not a directory.
    private mutating func resolve(_ path: String) -> String? {
        var pending = Array(Paths.components(path).reversed())
        var current = "/"
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                current = Paths.parent(current)
                continue
            }
            let candidate = Paths.join(current, name)
            if pending.isEmpty { watch(name, in: current) }
            var kind = Paths.kind(candidate)
            if !pending.isEmpty, kind != .directory {
                watch(name, in: current)
                kind = Paths.kind(candidate)  // look again now that a change would fire an event
            }
            switch kind {
            case .missing, .other: return nil
            case .directory: current = candidate
            case .symlink:
                symlinksLeft -= 1
                guard symlinksLeft >= 0, let target = Paths.readLink(candidate) else { return nil }
                if target.hasPrefix("/") { current = "/" }
                pending.append(contentsOf: Paths.components(target).reversed())
            }
        }
        return current
    }

    /// Watches `directory` for changes to the entry `name`.
    private mutating func watch(_ name: String, in directory: String) {
        guard let watch = watch(directory) else { return }
        watches.addName(name, to: watch)
    }

    /// Watches a folder once; `nil` if that failed.
    private mutating func watch(_ directory: String) -> Int32? {
        if let existing = watches.byPath[directory] { return existing }
        switch session.watch(directory: directory) {
        case .success(let watch):
            watches.add(watch, path: directory)
            return watch
        case .failure(let error):
            let code = error.code
            // Gone or replaced by a file since we looked: its parent's watch has the event already.
            if code != ENOENT && code != ENOTDIR { note(code, directory, "cannot watch") }
            return nil
        }
    }

    private mutating func note(_ code: Int32, _ path: String, _ what: String) {
        guard problems.count < 8 else { return }
        let reason: String
        switch code {
        case ENOSPC:
            let limit = inotifytools_get_max_user_watches()
            reason = "inotify watch limit reached (fs.inotify.max_user_watches is \(limit); raise it with sysctl)"
        case ENOMEM:
            reason = "out of kernel memory for inotify watches"
        default:
            reason = InotifySession.describe(code)
        }
        problems.append(WatchProblem("\(what) \(path): \(reason)"))
    }
}
