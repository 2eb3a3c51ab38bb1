public import DispoConfig
public import DispoDaemon
public import DispoEngine
import Foundation
public import Logging

/// A git repository as a ``ConfigSource`` (after Flux's `GitRepository`): fetched into a bare mirror in the
/// state directory every `interval`, each new head verified (signature, fast-forward, size) before its config
/// can come into force, and the config read from the verified commit's tree by hash.
///
/// - A refused head (unsigned, an unknown key, a bad signature, not a fast-forward, too large) leaves the
///   applied commit in force and says why in ``status()``; the head is checked again only when it moves.
/// - A head whose config has errors is an invalid load (the controller keeps the config in force); after a
///   restart the newest commit whose config was valid (`refs/dispo/good`) is served instead.
/// - A failing fetch backs off (interval, doubling, at most 5 minutes or the interval) and removes nothing.
public actor GitSource: ConfigSource {
    public nonisolated let spec: GitSourceSpec
    /// This host's name for the `${host}` layers.
    public nonisolated let host: String
    /// `<state>/sources/<name>`: the mirror, the lock and scratch space.
    public nonisolated let directory: String
    let mirror: GitMirror
    let verifier: CommitVerifier
    let logger: Logger
    private let loader: ConfigLoader
    private let wallClock: @Sendable () -> Double

    private var applied: String?
    /// The head the last successful fetch found.
    private(set) var fetched: String?
    private var lastFetch: Double?
    private var lastAttempt: Double?
    private var failures = 0
    /// Why the last fetch failed (nil once one works).
    private var fetchProblem: String?
    /// Why the fetched head is not in force (nil once a head is applied).
    private var refusal: String?
    /// Why the applied commit's config is not in force (nil once it loads valid).
    private var configProblem: String?
    /// The commit `refs/dispo/good` names, so that it is moved only when it changes.
    private var good: String?
    /// The head last judged, so that a refused head is not checked (or logged) again until it moves.
    private var judged: String?
    private var servedValid = false
    private var cached: (commit: String, load: ConfigLoad)?
    private var prepared = false
    private var started = false
    private var cues: AsyncStream<ConfigCue>.Continuation?
    private var loop: Task<Void, Never>?
    private var running: Task<Refresh, Never>?

    /// - Parameters:
    ///   - host: the name `${host}` stands for; default the spec's `host`, else the machine's short host name.
    public init(spec: GitSourceSpec, host: String? = nil, logger: Logger, loader: ConfigLoader = ConfigLoader()) {
        self.spec = spec
        self.host = host ?? spec.host ?? Self.machineName()
        let state = spec.stateDirectory ?? Self.defaultStateDirectory()
        directory = state + "/sources/" + spec.name
        mirror = GitMirror(directory: directory + "/mirror.git")
        verifier = CommitVerifier(policy: spec.verification, scratch: directory)
        self.logger = logger
        // Files in the mirror belong to dispo; the ownership rules of a config directory do not apply.
        var loader = loader
        loader.strictModes = false
        self.loader = loader
        wallClock = { Date().timeIntervalSince1970 }
    }

    /// `/var/lib/dispo` as root, else `$XDG_STATE_HOME/dispo` (default `~/.local/state/dispo`).
    public static func defaultStateDirectory() -> String {
        if getuid() == 0 { return "/var/lib/dispo" }
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/dispo" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/dispo"
    }

    nonisolated static func machineName() -> String {
        let name = ProcessInfo.processInfo.hostName
        return String(name.split(separator: ".").first ?? Substring(name))
    }

    /// `main@sha1:<hash>` (Flux's form), `sha1:<hash>` for a fixed commit.
    public nonisolated func revision(_ commit: String) -> String {
        let label = spec.ref.label
        return label.isEmpty ? "sha1:\(commit)" : "\(label)@sha1:\(commit)"
    }

    // MARK: - Fetching

    /// What one ``refresh()`` found.
    public enum Refresh: Sendable, Equatable {
        /// A new verified commit is in force.
        case applied(String)
        /// The head did not move (or moved to a commit already judged).
        case unchanged
        /// The head was refused; the reason is in ``status()``.
        case refused(String)
        /// The fetch failed; the reason is in ``status()``.
        case failed(String)

        var word: String {
            switch self {
            case .applied: return "applied"
            case .unchanged: return "unchanged"
            case .refused: return "refused"
            case .failed: return "failed"
            }
        }
    }

    /// Fetches the ref and judges a new head; moves the applied commit when the head passes. Calls that
    /// overlap share one fetch; another dispo process using the same mirror is waited for (a file lock).
    public func refresh() async -> Refresh {
        if let running { return await running.value }
        let task = Task { await self.performRefresh() }
        running = task
        let outcome = await task.value
        running = nil
        return outcome
    }

    private func performRefresh() async -> Refresh {
        let began = ContinuousClock.now
        let outcome = await fetchAndJudge()
        let milliseconds = (ContinuousClock.now - began) / .milliseconds(1)
        logger.debug("config source fetched", metadata: [
            "source": "\(spec.name)", "outcome": "\(outcome.word)", "ms": "\((milliseconds * 10).rounded() / 10)",
        ])
        return outcome
    }

    private func fetchAndJudge() async -> Refresh {
        lastAttempt = wallClock()
        do {
            try makeDirectory()
            let lock = try await MirrorLock.acquire(directory + "/lock", timeout: spec.timeout)
            defer { lock.release() }
            try await prepareMirror()
            try await fetchHead()
        } catch {
            failures += 1
            fetchProblem = error.message
            logger.warning("cannot fetch the config source", metadata: [
                "source": "\(spec.name)", "error": "\(error.message)", "failures": "\(failures)",
            ])
            return .failed(error.message)
        }
        failures = 0
        fetchProblem = nil
        lastFetch = wallClock()
        guard let head = fetched, head != applied, head != judged else { return .unchanged }
        judged = head
        do {
            if let reason = try await refusal(of: head) {
                refusal = "\(revision(head)) refused: \(reason); \(applied.map(revision) ?? "nothing") stays in force"
                logger.error("config source head refused", metadata: [
                    "source": "\(spec.name)", "head": "\(revision(head))", "reason": "\(reason)",
                ])
                return .refused(reason)
            }
            try await mirror.setRef(GitMirror.applied, to: head)
        } catch {
            fetchProblem = error.message
            return .failed(error.message)
        }
        applied = head
        refusal = nil
        logger.info("config source head verified", metadata: ["source": "\(spec.name)", "revision": "\(revision(head))"])
        return .applied(head)
    }

    /// `<state>/sources/<name>`, mode 0700.
    func makeDirectory() throws(SourceProblem) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SourceProblem("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
    }

    func prepareMirror() async throws(SourceProblem) {
        guard !prepared else { return }
        try makeDirectory()
        try await mirror.prepare()
        applied = try await mirror.commit(GitMirror.applied)
        fetched = try await mirror.commit(GitMirror.fetched)
        good = try await mirror.commit(GitMirror.good)
        judged = nil
        prepared = true
    }

    /// The refspecs that bring the followed ref into `refs/dispo/fetched` (a fixed commit: every branch and tag,
    /// so that the commit is found wherever it is).
    private var refspecs: [String] {
        switch spec.ref {
        case .branch(let name): return ["+refs/heads/\(name):\(GitMirror.fetched)"]
        case .tag(let name): return ["+refs/tags/\(name):\(GitMirror.fetched)"]
        case .commit: return ["+refs/heads/*:refs/dispo/all/heads/*", "+refs/tags/*:refs/dispo/all/tags/*"]
        }
    }

    private func fetchHead() async throws(SourceProblem) {
        try await bring(refspecs)
        let size = try await mirror.size()
        guard size <= spec.maxSize.kibibytes * 1024 else {
            throw SourceProblem(
                "the repository takes \(size >> 20) MiB, over max_size (\(spec.maxSize.mebibytes) MiB); nothing of it is applied")
        }
        switch spec.ref {
        case .branch, .tag:
            guard let head = try await mirror.commit(GitMirror.fetched) else {
                throw SourceProblem("the \(spec.ref) was not found in \(location)")
            }
            fetched = head
        case .commit(let hash):
            guard let commit = try await mirror.commit(hash) else {
                throw SourceProblem("commit \(hash) is not on any branch or tag of \(location)")
            }
            try await mirror.setRef(GitMirror.fetched, to: commit)
            fetched = commit
        }
    }

    /// Fetches `refspecs` from the URL, or from the bundle the fetch command writes.
    func bring(_ refspecs: [String]) async throws(SourceProblem) {
        if let command = spec.fetchCommand {
            try await mirror.importBundle(
                command: command, refspecs: refspecs, timeout: spec.timeout, limit: spec.maxSize.kibibytes * 1024)
        } else if let url = spec.url {
            try await mirror.fetch(url: url, refspecs: refspecs, timeout: spec.timeout)
        }
    }

    /// Why `head` may not come into force, or nil: its signature, then the fast-forward rule.
    func refusal(of head: String) async throws(SourceProblem) -> String? {
        if let reason = try await verifier.refusal(of: head, in: mirror) { return reason }
        if let applied, !spec.allowNonFastForward, !(try await mirror.isAncestor(applied, of: head)) {
            return "not a fast-forward of \(revision(applied)) (a force-push or a rollback; allow_non_fast_forward: true accepts it)"
        }
        return nil
    }

    /// The URL, or the fetch command, for messages.
    public nonisolated var location: String {
        spec.url ?? spec.fetchCommand?.joined(separator: " ") ?? ""
    }

    // MARK: - Loading

    /// The config of the applied commit (see the type's notes for refused and broken heads). Waits for the
    /// first fetch when no commit was ever applied.
    public func load() async -> ConfigLoad {
        if !prepared {
            do {
                try await prepareMirror()
            } catch {
                return failedLoad(error.message)
            }
        }
        if applied == nil, !started || lastAttempt == nil { _ = await refresh() }
        guard let commit = applied else {
            return failedLoad("no verified commit of \(spec.ref) yet: \(fetchProblem ?? refusal ?? "nothing fetched")")
        }
        let load = await load(commit: commit, host: host)
        if load.isValid {
            servedValid = true
            configProblem = nil
            if good != commit, (try? await mirror.setRef(GitMirror.good, to: commit)) != nil { good = commit }
            return load
        }
        let errors = load.diagnostics.filter { $0.severity == .error }
        let first = errors.first.map { ": \($0.description)" } ?? ""
        let broken = "\(revision(commit)) has \(errors.count) config error(s)\(first)"
        configProblem = broken
        if !servedValid, let good, good != commit {
            let fallback = await self.load(commit: good, host: host)
            if fallback.isValid {
                configProblem = broken + "; \(revision(good)) stays in force"
                servedValid = true
                return fallback
            }
        }
        return load
    }

    /// The config of `commit` (a full hash) for `host`, whether or not it is in force; cached for this host's
    /// newest commit read, so a rescan costs nothing.
    public func load(commit: String, host: String) async -> ConfigLoad {
        if host == self.host, let cached, cached.commit == commit { return cached.load }
        let result: ConfigLoad
        do {
            let tree = try await CommitTree.read(commit, from: mirror)
            result = await read(tree, commit: commit, host: host)
        } catch {
            return failedLoad("\(revision(commit)): \(error.message)")
        }
        if host == self.host { cached = (commit, result) }
        return result
    }

    private func read(_ tree: CommitTree, commit: String, host: String) async -> ConfigLoad {
        let limit = loader.maxFileBytes
        let (layers, problems) = tree.select(layers: spec.directories(host: host), fileLimit: limit)
        let objects = layers.flatMap { $0.map(\.object) }
        let contents: [[UInt8]]
        do {
            contents = try await mirror.blobs(objects, totalLimit: objects.count * limit)
        } catch {
            return failedLoad("\(revision(commit)): \(error.message)")
        }
        var next = contents.makeIterator()
        let sources = layers.map { layer in layer.map { file in (path: file.path, bytes: next.next() ?? []) } }
        let loader = self.loader
        let revision = revision(commit)
        return await Self.parse(sources, problems: problems, loader: loader, revision: revision)
    }

    /// Parses and validates off the actor (libyaml and validation are CPU work).
    @concurrent
    nonisolated static func parse(
        _ layers: [[(path: String, bytes: [UInt8])]], problems: [Diagnostic], loader: ConfigLoader, revision: String
    ) async -> ConfigLoad {
        var result = loader.load(layers: layers)
        result.diagnostics = (problems + result.diagnostics).sorted()
        return ConfigLoad(result, revision: revision)
    }

    func failedLoad(_ message: String) -> ConfigLoad {
        ConfigLoad(
            state: DesiredState(),
            diagnostics: [Diagnostic(path: "source \(spec.name)", line: 0, column: 0, severity: .error, message: message)],
            revision: "")
    }

    // MARK: - Cues and status

    /// Starts the fetch loop: one cue for every newly applied commit. Call once.
    public nonisolated func changes() -> AsyncStream<ConfigCue> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConfigCue.self, bufferingPolicy: .bufferingNewest(1))
        Task { await self.start(continuation) }
        return stream
    }

    private func start(_ continuation: AsyncStream<ConfigCue>.Continuation) {
        guard !started else {
            continuation.finish()
            return
        }
        started = true
        cues = continuation
        loop = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let delay = await self.poll()
                try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            }
        }
        continuation.onTermination = { [weak self] _ in
            Task { await self?.stop() }
        }
    }

    /// One fetch of the loop; returns how long to wait before the next.
    private func poll() async -> Double {
        if case .applied(let commit) = await refresh() {
            cues?.yield(ConfigCue(detail: "\(spec.name): \(revision(commit)) verified"))
        }
        return failures == 0 ? spec.interval : Self.backoff(failures: failures, interval: spec.interval)
    }

    /// The wait after `failures` failed fetches in a row: the interval, doubling, at most 5 minutes (or the
    /// interval, when that is longer).
    public static func backoff(failures: Int, interval: Double) -> Double {
        min(max(interval, 300), interval * Double(1 << min(max(failures - 1, 0), 20)))
    }

    /// Stops the fetch loop; the cue stream finishes.
    public func stop() {
        loop?.cancel()
        loop = nil
        cues?.finish()
        cues = nil
    }

    public func status() -> SourceStatus? {
        SourceStatus(
            kind: "git", name: spec.name, url: location, ref: spec.ref.description, applied: applied.map(revision),
            fetched: fetched.map(revision), lastFetch: lastFetch.map(ISOTime.format),
            lastAttempt: lastAttempt.map(ISOTime.format), failures: failures,
            error: [fetchProblem, refusal, configProblem].compactMap(\.self).joined(separator: "; ").nilIfEmpty)
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
