/// What a config source reports of itself in `status` (`config.source`): which commit is in force, which was
/// fetched last, and why a newer one is not in force. Revisions are written as Flux writes them:
/// `main@sha1:<hash>` (`sha1:<hash>` for a fixed commit).
public struct SourceStatus: Sendable, Codable, Hashable {
    /// `git`.
    public var kind: String
    public var name: String
    /// The repository URL, or `fetch_command` for bundles.
    public var url: String
    /// What is followed: `branch main`, `tag v1`, `commit 1a2b`.
    public var ref: String
    /// The verified commit whose config the source serves (nil before the first one).
    public var applied: String?
    /// The head the last successful fetch found.
    public var fetched: String?
    /// Wall-clock time (ISO 8601) of the last successful fetch, and of the last attempt.
    public var lastFetch: String?
    public var lastAttempt: String?
    /// Fetches that failed in a row (0 when the last one worked); the next is backed off.
    public var failures: Int
    /// Why the fetched head is not in force (refused signature, not a fast-forward, too large, a broken
    /// config) or why fetching fails; nil when all is well.
    public var error: String?

    public init(
        kind: String, name: String, url: String, ref: String, applied: String? = nil, fetched: String? = nil,
        lastFetch: String? = nil, lastAttempt: String? = nil, failures: Int = 0, error: String? = nil
    ) {
        self.kind = kind
        self.name = name
        self.url = url
        self.ref = ref
        self.applied = applied
        self.fetched = fetched
        self.lastFetch = lastFetch
        self.lastAttempt = lastAttempt
        self.failures = failures
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case kind, name, url, ref, applied, fetched, failures, error
        case lastFetch = "last_fetch"
        case lastAttempt = "last_attempt"
    }
}
