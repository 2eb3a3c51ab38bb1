/// Finds the config files under a directory: recursive, sorted by relative path, following symlinks
/// once (loops are skipped), and applying the ownership rules when asked.
struct DirectoryScan {
    let root: String
    let strictModes: Bool
    private(set) var files: [ConfigFile] = []
    private(set) var diagnostics: [Diagnostic] = []
    private var visited: Set<[UInt64]> = []
    /// Directories whose whole path was checked (``checkAncestors(of:shownAs:)``), canonical.
    private var securePaths: Set<String> = []
    /// Directories already reported as unsafe (each is reported once, at the first path through it).
    private var unsafePaths: Set<String> = []

    init(root: String, strictModes: Bool) {
        self.root = root
        self.strictModes = strictModes
    }

    /// Scans `root`; a missing root is reported, a root that is a file is read as the only file.
    mutating func run() {
        switch FileSystem.status(root) {
        case .failure(let error):
            let advice = error.isNotFound ? " (use -c DIR or set DISPO_CONFIG)" : ""
            report(".", "cannot read config directory \(root): \(error)\(advice)")
        case .success(let status) where !status.isDirectory:
            let name = root.split(separator: "/").last.map(String.init) ?? root
            checkModes(status, path: name, what: "config file")
            checkAncestors(of: root, shownAs: name)
            files = [ConfigFile(relativePath: name, absolutePath: root)]
        case .success(let status):
            if !checkModes(status, path: ".", what: "config directory") { markUnsafe(root) }
            checkAncestors(of: root, shownAs: ".")
            visit(directory: root, relative: "", status: status)
            files.sort { $0.relativePath < $1.relativePath }
        }
    }

    private mutating func visit(directory: String, relative: String, status: FileSystem.Status) {
        guard visited.insert([status.device, status.inode]).inserted else { return }
        let names: [String]
        switch FileSystem.entries(directory) {
        case .failure(let error):
            report(relative.isEmpty ? "." : relative, "cannot list directory: \(error)")
            return
        case .success(let found):
            names = found.names.sorted()
            for name in found.unreadable.sorted() where !ConfigFile.isIgnoredName(name) {
                let path = relative.isEmpty ? name : relative + "/" + name
                report(path, "the name is not UTF-8, so dispo cannot read it; rename it (the config in force is kept)")
            }
        }
        for name in names where !ConfigFile.isIgnoredName(name) {
            let absolute = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            let child: FileSystem.Status
            switch FileSystem.status(absolute) {
            case .success(let status): child = status
            case .failure(let error):
                // A dangling symlink or a symlink loop: an error when it looks like config, never a silent skip
                // (its objects would otherwise count as deleted).
                if ConfigFile.isConfigName(name) {
                    report(path, "cannot read: \(error) (a dangling symlink or a symlink loop?); the config in force is kept")
                }
                continue
            }
            if child.isDirectory {
                if !checkModes(child, path: path, what: "config directory") { markUnsafe(absolute) }
                visit(directory: absolute, relative: path, status: child)
            } else if ConfigFile.isConfigName(name) {
                if !child.isRegular {
                    diagnostics.append(
                        Diagnostic(path: path, line: 0, column: 0, severity: .warning,
                            message: "skipped: not a regular file"))
                    continue
                }
                checkModes(child, path: path, what: "config file")
                checkAncestors(of: absolute, shownAs: path)
                files.append(ConfigFile(relativePath: path, absolutePath: absolute))
            }
        }
    }

    /// Like sshd's StrictModes: as root, refuse what another user could have written.
    /// False (with the error reported) when `status` breaks the rules.
    @discardableResult
    private mutating func checkModes(_ status: FileSystem.Status, path: String, what: String) -> Bool {
        guard strictModes else { return true }
        if status.owner != FileSystem.effectiveUser {
            report(path, "\(what) is owned by uid \(status.owner), not by the user running dispo; refusing it (chown it)")
            return false
        } else if status.mode & 0o022 != 0 {
            let mode = String(status.mode, radix: 8)
            report(path, "\(what) is writable by group or others (mode \(mode)); refusing it (run chmod go-w on it)")
            return false
        }
        return true
    }

    /// A directory already refused by its own modes: the paths through it are not reported again.
    private mutating func markUnsafe(_ directory: String) {
        if let resolved = FileSystem.resolvedPath(directory) { unsafePaths.insert(resolved) }
    }

    /// Like sshd's `secure_filename`: as root, every directory on the way to `path` (symlinks resolved, so a
    /// link out of the tree is judged where it leads) must belong to root or this user and must not be
    /// writable by group or others, unless sticky (as `/tmp` is: there only an entry's owner can replace it).
    /// Otherwise another user could swap a checked file for one of their own between the check and the read.
    private mutating func checkAncestors(of path: String, shownAs shown: String) {
        guard strictModes else { return }
        guard let resolved = FileSystem.resolvedPath(path) else { return }
        var directory = Self.parent(of: resolved)
        while !securePaths.contains(directory) {
            guard !unsafePaths.contains(directory), case .success(let status) = FileSystem.status(directory) else { return }
            if status.owner != 0, status.owner != FileSystem.effectiveUser {
                unsafePaths.insert(directory)
                report(shown, "\(directory), on the way to it, is owned by uid \(status.owner); "
                    + "another user could swap the config, refusing it (chown the directory)")
                return
            }
            if status.mode & 0o022 != 0, status.mode & 0o1000 == 0 {
                unsafePaths.insert(directory)
                report(shown, "\(directory), on the way to it, is writable by group or others (mode "
                    + "\(String(status.mode, radix: 8))); another user could swap the config, refusing it (chmod go-w it)")
                return
            }
            securePaths.insert(directory)
            if directory == "/" { return }
            directory = Self.parent(of: directory)
        }
    }

    /// The directory part of a path (`.` for a bare name, `/` for a name at the top).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private mutating func report(_ path: String, _ message: String) {
        diagnostics.append(Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message))
    }
}
