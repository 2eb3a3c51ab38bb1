import DispoConfig

/// The config files of one commit, read from the mirror's object database: the layers' directories, their
/// YAML files in path order, symlinks followed when they stay inside the repository.
///
/// Everything the tree cannot give is a diagnostic on the repository path it concerns (never a silent skip):
/// a missing layer directory, a symlink leaving the repository or naming a directory, a submodule, a file
/// name that is not UTF-8, a file over the loader's size limit.
struct CommitTree: Sendable {
    let entries: [String: TreeEntry]
    let directories: Set<String>

    init(_ list: [TreeEntry]) {
        var entries: [String: TreeEntry] = [:]
        var directories: Set<String> = [""]
        for entry in list {
            entries[entry.path] = entry
            var parts = entry.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        self.entries = entries
        self.directories = directories
    }

    /// The subdirectories directly under `directory`.
    func subdirectories(of directory: String) -> [String] {
        let prefix = directory.isEmpty ? "" : directory + "/"
        return directories.filter { $0.hasPrefix(prefix) && $0 != directory && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// The blobs to read for `layers` (each a repository directory), and the problems found.
    func select(layers: [String], fileLimit: Int) -> (layers: [[(path: String, object: String)]], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var selected: [[(path: String, object: String)]] = []
        for layer in layers {
            guard directories.contains(layer) else {
                let parent = layer.split(separator: "/").dropLast().joined(separator: "/")
                let siblings = directories.contains(parent) ? subdirectories(of: parent) : []
                let known = siblings.isEmpty ? "" : " (\(parent.isEmpty ? "top" : parent) has: \(siblings.prefix(8).joined(separator: ", ")))"
                diagnostics.append(error(layer.isEmpty ? "." : layer, "no such directory in the repository\(known)"))
                selected.append([])
                continue
            }
            var files: [(path: String, object: String)] = []
            for path in entries.keys.sorted() where RepositoryPath.isInside(path, layer) {
                guard let entry = entries[path] else { continue }
                let below = layer.isEmpty ? path : String(path.dropFirst(layer.count + 1))
                let parts = below.split(separator: "/").map(String.init)
                guard let name = parts.last, !parts.contains(where: ConfigFile.isIgnoredName) else { continue }
                if entry.isSubmodule {
                    diagnostics.append(error(path, "a submodule; git sources do not read submodules"))
                    continue
                }
                guard ConfigFile.isConfigName(name) else { continue }
                guard entry.hasValidName else {
                    diagnostics.append(error(path, "the file name is not UTF-8; rename it"))
                    continue
                }
                switch resolve(entry) {
                case .success(let blob):
                    if blob.size > fileLimit {
                        diagnostics.append(error(path,
                            "file is \(blob.size) bytes, more than the limit of \(fileLimit) bytes; split it into several files"))
                    } else {
                        files.append((path, blob.object))
                    }
                case .failure(let problem):
                    diagnostics.append(error(path, problem.message))
                }
            }
            selected.append(files)
        }
        return (selected, diagnostics)
    }

    /// Follows symlinks (at most 8) to a regular blob inside the repository.
    private func resolve(_ start: TreeEntry) -> Result<TreeEntry, SourceProblem> {
        var entry = start
        for _ in 0..<8 {
            guard entry.isSymlink else {
                return entry.type == "blob" ? .success(entry) : .failure(SourceProblem("not a regular file"))
            }
            guard let target = symlinkTargets[entry.path] else {
                return .failure(SourceProblem("a symlink whose target could not be read"))
            }
            if target.hasPrefix("/") {
                return .failure(SourceProblem("a symlink that leaves the repository (to \(target)); refused"))
            }
            let base = entry.path.split(separator: "/").dropLast().joined(separator: "/")
            guard case .success(let path) = RepositoryPath.normalize(RepositoryPath.join(base, target)) else {
                return .failure(SourceProblem("a symlink that leaves the repository (to \(target)); refused"))
            }
            if directories.contains(path) {
                return .failure(SourceProblem("a symlink to a directory (\(target)); git sources follow symlinks to files only"))
            }
            guard let next = entries[path] else {
                return .failure(SourceProblem("a dangling symlink (to \(target))"))
            }
            entry = next
        }
        return .failure(SourceProblem("a symlink loop"))
    }

    /// Filled by ``reading(_:)``: each symlink's target.
    var symlinkTargets: [String: String] = [:]

    private func error(_ path: String, _ message: String) -> Diagnostic {
        Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message)
    }

    /// Lists `commit`'s tree and reads its symlinks' targets.
    static func read(_ commit: String, from mirror: GitMirror) async throws(SourceProblem) -> CommitTree {
        var tree = CommitTree(try await mirror.tree(commit))
        let links = tree.entries.values.filter(\.isSymlink).sorted { $0.path < $1.path }
        let targets = try await mirror.blobs(links.map(\.object), totalLimit: links.count * 4096)
        for (link, target) in zip(links, targets) {
            tree.symlinkTargets[link.path] = String(decoding: target, as: UTF8.self)
        }
        return tree
    }
}
