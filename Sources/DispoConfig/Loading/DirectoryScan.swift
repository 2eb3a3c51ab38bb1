/// Finds the config files under a directory: recursive, sorted by relative path, following symlinks
/// once (loops are skipped), and applying the ownership rules when asked.
struct DirectoryScan {
    let root: String
    let strictModes: Bool
    private(set) var files: [ConfigFile] = []
    private(set) var diagnostics: [Diagnostic] = []
    private var visited: Set<[UInt64]> = []

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
            files = [ConfigFile(relativePath: name, absolutePath: root)]
        case .success(let status):
            checkModes(status, path: ".", what: "config directory")
            visit(directory: root, relative: "", status: status)
            files.sort { $0.relativePath < $1.relativePath }
        }
    }

    private mutating func visit(directory: String, relative: String, status: FileSystem.Status) {
        guard visited.insert([status.device, status.inode]).inserted else { return }
        let names: [String]
        switch FileSystem.entriesWithNames(directory) {
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
                checkModes(child, path: path, what: "config directory")
                visit(directory: absolute, relative: path, status: child)
            } else if ConfigFile.isConfigName(name) {
                if !child.isRegular {
                    diagnostics.append(
                        Diagnostic(path: path, line: 0, column: 0, severity: .warning,
                            message: "skipped: not a regular file"))
                    continue
                }
                checkModes(child, path: path, what: "config file")
                files.append(ConfigFile(relativePath: path, absolutePath: absolute))
            }
        }
    }

    /// Like sshd's StrictModes: as root, refuse what another user could have written.
    private mutating func checkModes(_ status: FileSystem.Status, path: String, what: String) {
        guard strictModes else { return }
        if status.owner != FileSystem.effectiveUser {
            report(path, "\(what) is owned by uid \(status.owner), not by the user running dispo; refusing it (chown it)")
        } else if status.mode & 0o022 != 0 {
            let mode = String(status.mode, radix: 8)
            report(path, "\(what) is writable by group or others (mode \(mode)); refusing it (run chmod go-w on it)")
        }
    }

    private mutating func report(_ path: String, _ message: String) {
        diagnostics.append(Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message))
    }
}
