public import DispoEngine

/// Where the ``Controller`` gets its config from: the only thing it knows about the config's origin.
///
/// The controller calls ``changes()`` once when it starts, then ``load()`` for its first pass and again after
/// every cue (and on a rescan); it keeps the last valid load in force. Public, not `package`, because
/// ``Controller/init(host:clock:random:options:logger:source:)`` is, and the benchmarks package builds controllers.
public protocol ConfigSource: Sendable {
    /// Reads the config as it is now.
    ///
    /// Never throws: every problem (a missing directory, an unreadable file, a YAML error, a dangling
    /// reference) is a diagnostic of an invalid ``ConfigLoad``, whose state is then empty, so nothing half-loaded
    /// can come into force. Safe to call concurrently: each call reads afresh, and a call that begins later sees
    /// the config at least as new as an earlier one. The controller runs it off its actor (a slow load never
    /// holds up a request) and installs only the result of its newest call. Long blocking work (file reads,
    /// parsing) belongs on a thread of the source's own, not on the cooperative pool.
    func load() async -> ConfigLoad

    /// Cues that the config may have changed: "look again". Level-based: a cue carries no content, and bursts
    /// may collapse into one; a load that begins after a cue sees every change up to that cue.
    ///
    /// The controller calls it once, before its first load; a later call may return a finished stream. The
    /// stream ends when the source stops watching (or the consumer is cancelled); the controller then keeps
    /// its config and goes on with its periodic passes and rescans.
    func changes() -> AsyncStream<ConfigCue>

    /// The source's report of itself for `status` (a git source: the commits applied and fetched, why a newer
    /// one is not in force); nil for a source with nothing to say (a directory). Cheap: no fetch, no read.
    func status() async -> SourceStatus?
}


/// One "the config may have changed" from a ``ConfigSource``.
public struct ConfigCue: Sendable, Hashable {
    /// What the source saw, for the debug log (e.g. `3 events: a.yaml, b.yaml`).
    public var detail: String

    public init(detail: String) {
        self.detail = detail
    }
}
