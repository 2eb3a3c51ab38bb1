import CInotifyTools

/// The watches of one inotify instance and which of their events matter.
///
/// A *tree* folder is part of the config: every entry counts except the names the loader ignores. A *named*
/// folder is on the way to the config (its parent, a folder holding a symlink, the nearest existing ancestor):
/// only the listed names count, plus the folder itself going away.
struct WatchSet {
    struct Role: Equatable {
        var path: String
        var isTree = false
        var names: Set<String> = []
    }

    private(set) var roles: [Int32: Role] = [:]
    private(set) var byPath: [String: Int32] = [:]

    var count: Int { roles.count }

    mutating func add(_ watch: Int32, path: String) {
        if roles[watch] == nil { roles[watch] = Role(path: path) }
        byPath[path] = watch
    }

    mutating func markTree(_ watch: Int32) { roles[watch]?.isTree = true }

    mutating func addName(_ name: String, to watch: Int32) { roles[watch]?.names.insert(name) }

    func isTree(_ path: String) -> Bool {
        guard let watch = byPath[path] else { return false }
        return roles[watch]?.isTree ?? false
    }

    /// The path an event is about if it can change what the loader sees, else `nil`.
    func relevantPath(_ event: InotifyEvent) -> String? {
        if event.has(IN_Q_OVERFLOW) { return "(inotify queue overflow)" }
        guard !event.has(IN_IGNORED), let role = roles[event.watch] else { return nil }
        if event.name.isEmpty {
            if event.has(IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT) { return role.path }
            return role.isTree && event.has(IN_ATTRIB) ? role.path : nil
        }
        if role.names.contains(event.name) || (role.isTree && !IgnoredNames.contains(event.name)) {
            return Paths.join(role.path, event.name)
        }
        return nil
    }

    /// A folder that appeared inside the tree (to watch at once so the burst sees what is written into it).
    func newTreeFolder(_ event: InotifyEvent) -> String? {
        guard event.has(IN_ISDIR), event.has(IN_CREATE | IN_MOVED_TO), !IgnoredNames.contains(event.name),
            let role = roles[event.watch], role.isTree
        else { return nil }
        return Paths.join(role.path, event.name)
    }
}
