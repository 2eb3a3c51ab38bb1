/// A `kind: GitSource` file: where the config comes from when it is kept in a git repository
/// (after Flux's `GitRepository` with `Kustomization.path`). Decoded as strictly as the objects.
public struct GitSourceSpec: Sendable, Hashable {
    /// What the source follows in the repository.
    public enum Ref: Sendable, Hashable, CustomStringConvertible {
        case branch(String)
        case tag(String)
        /// A fixed commit (a full or abbreviated hex object name).
        case commit(String)

        /// The name Flux puts before `@sha1:` in a revision (`main@sha1:...`); empty for a commit.
        public var label: String {
            switch self {
            case .branch(let name), .tag(let name): return name
            case .commit: return ""
            }
        }

        /// `branch main`, `tag v1.2`, `commit 1a2b3c`.
        public var description: String {
            switch self {
            case .branch(let name): return "branch \(name)"
            case .tag(let name): return "tag \(name)"
            case .commit(let hash): return "commit \(hash)"
            }
        }
    }

    /// How a fetched head's signature is checked before its config comes into force.
    public enum Verification: Sendable, Hashable {
        /// Commits are applied unsigned (said explicitly with `mode: none`).
        case none
        /// SSH signatures (`gpg.format=ssh`) checked against an `allowed_signers` file.
        case ssh(allowedSigners: String)
        /// OpenPGP signatures checked against the public keys of a keyring file (armored or binary).
        case openPGP(keyring: String)
    }

    /// The source's name: it names its mirror in the state directory, its status and its metrics.
    public var name: String
    /// The repository (`file://`, `git://`, `http(s)://`, `ssh://`); nil when `fetch_command` brings bundles.
    public var url: String?
    /// A command whose standard output is a git bundle (e.g. `qvm-run --pass-io` to a qube), run instead of a
    /// network fetch: dom0 never opens a connection. Run without a shell.
    public var fetchCommand: [String]?
    public var ref: Ref
    /// The directory inside the repository that holds the config ("" for the top).
    public var path: String
    /// Directories under ``path`` read in order, a later one's objects replacing an earlier one's of the same kind
    /// and name; `${host}` stands for ``host``. `[""]` (the path itself) by default.
    public var layers: [String]
    /// This host's name for `${host}`; nil: the machine's host name.
    public var host: String?
    /// How often the remote is fetched, in seconds.
    public var interval: Double
    /// How long one fetch (or fetch command) may take, in seconds.
    public var timeout: Double
    public var verification: Verification
    /// Apply a head that does not descend from the commit in force (a force-push or a rollback).
    public var allowNonFastForward: Bool
    /// The largest repository (objects on disk, or a bundle) accepted.
    public var maxSize: Size
    /// Where the mirror is kept; nil: `/var/lib/dispo` as root, else `$XDG_STATE_HOME/dispo`.
    public var stateDirectory: String?

    /// The marker a layer uses for this host's name.
    public static let hostMarker = "${host}"

    public init(
        name: String, url: String?, fetchCommand: [String]? = nil, ref: Ref, path: String = "", layers: [String] = [""],
        host: String? = nil, interval: Double = 60, timeout: Double = 120, verification: Verification,
        allowNonFastForward: Bool = false, maxSize: Size = .mebibytes(256), stateDirectory: String? = nil
    ) {
        self.name = name
        self.url = url
        self.fetchCommand = fetchCommand
        self.ref = ref
        self.path = path
        self.layers = layers
        self.host = host
        self.interval = interval
        self.timeout = timeout
        self.verification = verification
        self.allowNonFastForward = allowNonFastForward
        self.maxSize = maxSize
        self.stateDirectory = stateDirectory
    }

    /// Whether some layer depends on the host's name.
    public var isPerHost: Bool { layers.contains { $0.contains(Self.hostMarker) } }

    /// The repository directories read for `host`, in order (each relative to the repository's top).
    public func directories(host: String) -> [String] {
        layers.map { layer in
            RepositoryPath.join(path, layer.replacing(Self.hostMarker, with: host))
        }
    }

    /// The directory whose subdirectories are the hosts (the part of the first per-host layer before `${host}`),
    /// relative to the repository's top; nil when no layer names the host.
    public var hostsDirectory: String? {
        guard let layer = layers.first(where: { $0.contains(Self.hostMarker) }),
            let range = layer.firstRange(of: Self.hostMarker)
        else { return nil }
        let before = String(layer[..<range.lowerBound])
        return RepositoryPath.join(path, before.hasSuffix("/") ? String(before.dropLast()) : before)
    }
}

/// Paths inside a repository: relative, `/`-separated, no `.`/`..` components, "" for the top.
public enum RepositoryPath {
    /// The normalized form of `text`, or why it is refused (absolute, or leaving the repository with `..`).
    public static func normalize(_ text: String) -> Result<String, PathProblem> {
        if text.hasPrefix("/") { return .failure(PathProblem("must be relative to the repository's top, found \"\(text)\"")) }
        var parts: [Substring] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else {
                    return .failure(PathProblem("leaves the repository: \"\(text)\""))
                }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        return .success(parts.joined(separator: "/"))
    }

    /// `a` and `b` joined, either may be "".
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return a + "/" + b
    }

    /// Whether `path` is `directory` or inside it ("" contains everything).
    public static func isInside(_ path: String, _ directory: String) -> Bool {
        directory.isEmpty || path == directory || path.hasPrefix(directory + "/")
    }

    public struct PathProblem: Error, Sendable {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}
