public import DispoConfig
public import DispoDaemon
import DispoEngine
import Foundation

/// What `dispo diff --ref` and `dispo validate --all-hosts` read: a commit that is not (or not yet) in force.
extension GitSource {
    /// A commit looked at without applying it.
    public struct Preview: Sendable {
        /// The config of the commit for this host.
        public var load: ConfigLoad
        /// The commit (`main@sha1:...` when a branch or tag was named).
        public var revision: String
        /// Why this commit would not come into force if it were the head (its signature, the fast-forward rule),
        /// or nil when it would.
        public var wouldRefuse: String?
    }

    /// Fetches every branch and tag into `refs/dispo/preview/*` and reads `ref` (a branch, a tag or a commit)
    /// for this host. Nothing in force changes; the applied commit stays the base of the fast-forward check.
    public func preview(_ ref: String) async -> Result<Preview, PreviewFailure> {
        do {
            try await prepareMirror()
            let lock = try await MirrorLock.acquire(directory + "/lock", timeout: spec.timeout)
            defer { lock.release() }
            try await bring(["+refs/heads/*:refs/dispo/preview/heads/*", "+refs/tags/*:refs/dispo/preview/tags/*"])
            var named: String?
            if GitSourceFile.refNameProblem(ref) == nil {
                named = try await mirror.commit("refs/dispo/preview/heads/\(ref)")
                if named == nil { named = try await mirror.commit("refs/dispo/preview/tags/\(ref)") }
            }
            var commit = named
            if commit == nil, ref.allSatisfy(\.isHexDigit), ref.count >= 4 { commit = try await mirror.commit(ref) }
            guard let commit else {
                return .failure(PreviewFailure(message: "\(ref) is not a branch, tag or commit of \(location)"))
            }
            let wouldRefuse = try await refusal(of: commit)
            let load = await load(commit: commit, host: host)
            return .success(Preview(
                load: load, revision: named == nil ? "sha1:\(commit)" : "\(ref)@sha1:\(commit)", wouldRefuse: wouldRefuse))
        } catch {
            return .failure(PreviewFailure(message: error.message))
        }
    }

    /// The config at the fetched head (fetching first) for `host`, or for every host of the repository when
    /// `host` is nil (the directories where the `${host}` layer points; this host alone when no layer names one).
    public func loadFetched(host only: String?) async
        -> Result<(revision: String, hosts: [(host: String, load: ConfigLoad)]), PreviewFailure>
    {
        if case .failed(let message) = await refresh() { return .failure(PreviewFailure(message: message)) }
        guard let commit = fetched else {
            return .failure(PreviewFailure(message: "nothing was fetched from \(location)"))
        }
        let head = revision(commit)
        let names: [String]
        if let only {
            names = [only]
        } else if let directory = spec.hostsDirectory {
            do {
                names = CommitTree(try await mirror.tree(commit)).subdirectories(of: directory)
            } catch {
                return .failure(PreviewFailure(message: error.message))
            }
            guard !names.isEmpty else {
                return .failure(PreviewFailure(
                    message: "\(directory.isEmpty ? "the repository's top" : directory) has no host directories in \(head)"))
            }
        } else {
            names = [host]
        }
        var hosts: [(host: String, load: ConfigLoad)] = []
        for name in names { hosts.append((name, await load(commit: commit, host: name))) }
        return .success((head, hosts))
    }

    /// The same for a checked-out copy of the repository (for CI in the repository itself): the layers read
    /// from `worktree` instead of a commit, for `host` (which must have its directory there) or every host.
    public nonisolated static func loadWorktree(
        _ worktree: String, spec: GitSourceSpec, host only: String?, defaultHost: String,
        loader: ConfigLoader = ConfigLoader(strictModes: false)
    ) -> Result<[(host: String, load: ConfigLoad)], PreviewFailure> {
        func load(_ name: String) -> ConfigLoad {
            let layers = spec.directories(host: name).map { directory in
                (directory: directory.isEmpty ? worktree : worktree + "/" + directory, shownAs: directory)
            }
            return ConfigLoad(loader.load(layerDirectories: layers))
        }
        guard let hostsDirectory = spec.hostsDirectory else { return .success([(defaultHost, load(defaultHost))]) }
        let parent = hostsDirectory.isEmpty ? worktree : worktree + "/" + hostsDirectory
        var names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: parent).filter { name in
                var isDirectory: ObjCBool = false
                return !ConfigFile.isIgnoredName(name)
                    && FileManager.default.fileExists(atPath: parent + "/" + name, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.sorted()
        } catch {
            return .failure(PreviewFailure(message: "cannot list \(parent): \(error.localizedDescription)"))
        }
        if let only {
            guard names.contains(only) else {
                return .failure(PreviewFailure(message: "\(worktree) has no layer directory for host \(only)"))
            }
            names = [only]
        }
        guard !names.isEmpty else { return .failure(PreviewFailure(message: "\(parent) has no host directories")) }
        return .success(names.map { ($0, load($0)) })
    }
}

/// Why a preview or an every-host validation could not be made at all.
public struct PreviewFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
