public import DispoConfig
public import DispoHost

/// One step the reconciler takes, with the reason it is needed.
public struct Action: Sendable, Hashable, CustomStringConvertible {
    public enum Op: String, Sendable, Hashable, Codable {
        case create, start, stop, restart, destroy
        /// Relabel a domain used (metadata only): a preload unpaused outside dispo, or a hand-out whose `used`
        /// record did not follow the unpause. Made from ``Plan/adoptions``.
        case relabel
    }

    public enum Reason: String, Sendable, Hashable, Codable {
        /// The preload queue has room.
        case refill
        /// A preload was made from an older spec.
        case refresh
        /// The queue holds more than its max.
        case trim
        /// A disposable stopped, crashed or was interrupted half-way.
        case cleanup
        /// Its disposable template or named disposable left the config.
        case prune
        /// A named disposable's power state differs from `state`.
        case state
        /// A running named disposable was made from an older spec.
        case specChanged = "spec-changed"
        /// It runs already: someone uses it.
        case used
        /// Preloads are held for a host suspend (`dispo sleep pre`): paused domains break across it.
        case suspend
    }

    public var op: Op
    public var role: Role
    /// The DisposableTemplate involved.
    public var template: String
    /// The domain, or nil for one not yet named (a new preload).
    public var name: String?
    public var reason: Reason
    /// True when apply leaves it alone without a flag (a restart without `--restart`).
    public var pending: Bool
    /// Actions run in waves: stops first, then named disposables by netvm depth, then preloads.
    public var wave: Int
    /// A sentence for humans.
    public var detail: String

    public init(
        _ op: Op, _ role: Role, template: String, name: String?, reason: Reason, pending: Bool = false,
        wave: Int = 0, detail: String
    ) {
        self.op = op
        self.role = role
        self.template = template
        self.name = name
        self.reason = reason
        self.pending = pending
        self.wave = wave
        self.detail = detail
    }

    public var description: String {
        "\(op.rawValue) \(role.rawValue) \(name ?? "(new)") of \(template) [\(reason.rawValue)\(pending ? ", pending" : "")]"
    }
}

/// Why something the config asks for is not done now.
public struct Wait: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `count` preloads do not fit in free memory above the threshold.
        case memory(count: Int)
        /// Refill follows `preload.delay` after a use.
        case delay(until: Double)
        /// Negative delay: refill only once the queue is empty.
        case untilEmpty
        /// Recent failures; retried at `until`.
        case backoff(until: Double)
        /// The netvm this depends on is not running yet.
        case netvm(String)
        /// A domain dispo does not own already has this name.
        case conflict
        /// The config is empty and `--allow-empty` was not given.
        case emptyConfig
        /// Preloads are held for a host suspend until `dispo sleep post`.
        case suspended
    }

    /// The figures behind a ``Kind/memory(count:)`` wait: floor(max(0, free - threshold) / each) preloads fit.
    public struct Memory: Sendable, Hashable {
        /// Free memory the plan still had for this queue (the host's, after the plan's earlier actions).
        public var free: Size
        /// `System.preload.threshold`: free memory never used for preloads.
        public var threshold: Size
        /// What one preload needs (its `memory`).
        public var each: Size

        public init(free: Size, threshold: Size, each: Size) {
            self.free = free
            self.threshold = threshold
            self.each = each
        }

        /// max(0, free - threshold).
        public var available: Size {
            Size(kibibytes: free.kibibytes > threshold.kibibytes ? free.kibibytes - threshold.kibibytes : 0)
        }
    }

    public var subject: String
    public var kind: Kind
    public var detail: String
    /// For a memory wait: its figures.
    public var memory: Memory?

    public init(subject: String, kind: Kind, detail: String, memory: Memory? = nil) {
        self.subject = subject
        self.kind = kind
        self.detail = detail
        self.memory = memory
    }

    /// Conflicts and an unguarded empty config cannot resolve by waiting: they are errors.
    public var isError: Bool { kind == .conflict || kind == .emptyConfig }

    public var description: String { "\(subject): \(detail)" }
}

/// The planner's answer: what to do, what to relabel, and what waits.
public struct Plan: Sendable, Hashable {
    public var actions: [Action] = []
    /// Preloads unpaused outside dispo, and hand-outs whose `used` record did not follow the unpause: they are
    /// relabelled used (metadata only); preloads leave the queue.
    public var adoptions: [String] = []
    public var waits: [Wait] = []

    public init(actions: [Action] = [], adoptions: [String] = [], waits: [Wait] = []) {
        self.actions = actions
        self.adoptions = adoptions
        self.waits = waits
    }

    /// Nothing to do (pending actions and waits aside).
    public var isInSync: Bool { actions.isEmpty && adoptions.isEmpty }
    public var runnable: [Action] { actions.filter { !$0.pending } }
}
