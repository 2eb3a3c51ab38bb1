public import DispoConfig
public import DispoHost

/// What `dispo status --json` prints and `GET /v1/status` serves (DESIGN.md's shape; fields may be added).
public struct StatusReport: Sendable, Codable {
    public struct HostPart: Sendable, Codable {
        public var backend: String
        public var location: String
        public var freeMemoryMib: UInt64
        public var totalMemoryMib: UInt64
        enum CodingKeys: String, CodingKey {
            case backend, location
            case freeMemoryMib = "free_memory_mib"
            case totalMemoryMib = "total_memory_mib"
        }
    }

    public struct ConfigPart: Sendable, Codable {
        public var ok: Bool
        /// The newest load's errors, as `validate --json` reports them.
        public var errors: [Diagnostic]
        public var revision: String
        /// Digest of the config last fully reconciled, if any.
        public var observed: String?
        /// What the source calls the config in force when that is not its digest: the commit of a git source
        /// (`main@sha1:<hash>`).
        public var commit: String?
        /// The config source's own report (a git source: applied and fetched commit, fetch errors).
        public var source: SourceStatus?
    }

    public struct HistoryEntry: Sendable, Codable {
        public var at: String
        public var seconds: Double
        public var actions: Int
        public var errors: Int
        /// The source's revision of the config this stretch of work reconciled (a git commit), when it has one.
        public var revision: String?

        public init(at: String, seconds: Double, actions: Int, errors: Int, revision: String? = nil) {
            self.at = at
            self.seconds = seconds
            self.actions = actions
            self.errors = errors
            self.revision = revision
        }
    }

    public struct TemplatePart: Sendable, Codable {
        public struct Preload: Sendable, Codable {
            public var max: Int
            public var ready: Int
            public var starting: Int
            /// Ready preloads, oldest first (the next request takes the first).
            public var queue: [String]
            /// The preloads of ``queue``, in its order, with their memory; absent where dispo does not manage memory
            /// (Qubes: qmemman does).
            public var preloads: [PreloadMemory]?

            package init(max: Int, ready: Int, starting: Int, queue: [String], preloads: [PreloadMemory]? = nil) {
                self.max = max
                self.ready = ready
                self.starting = starting
                self.queue = queue
                self.preloads = preloads
            }
        }

        /// One queued preload's memory: what it holds now and how its shrink before the pause went.
        public struct PreloadMemory: Sendable, Codable {
            public var name: String
            /// What the domain holds now, in KiB.
            public var memoryKiB: UInt64
            /// The measured shrink (null for a preload made by a dispo that did not record it).
            public var shrink: ShrinkRecord?

            enum CodingKeys: String, CodingKey {
                case name, shrink
                case memoryKiB = "memory_kib"
            }

            package init(name: String, memoryKiB: UInt64, shrink: ShrinkRecord?) {
                self.name = name
                self.memoryKiB = memoryKiB
                self.shrink = shrink
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(memoryKiB, forKey: .memoryKiB)
                try container.encode(shrink, forKey: .shrink)  // null, not absent
            }
        }

        public var name: String
        public var preload: Preload

        package init(name: String, preload: Preload) {
            self.name = name
            self.preload = preload
        }
    }

    public struct NamedPart: Sendable, Codable {
        public var name: String
        /// `running`, `halted`, or null when the power state is not managed.
        public var desired: String?
        public var state: String
        public var upToDate: Bool
        enum CodingKeys: String, CodingKey {
            case name, desired, state
            case upToDate = "up_to_date"
        }

        package init(name: String, desired: String?, state: String, upToDate: Bool) {
            self.name = name
            self.desired = desired
            self.state = state
            self.upToDate = upToDate
        }
    }

    public struct DisposablePart: Sendable, Codable {
        public var name: String
        public var template: String
        public var role: String
        public var state: String

        package init(name: String, template: String, role: String, state: String) {
            self.name = name
            self.template = template
            self.role = role
            self.state = state
        }
    }

    /// Who produced the report: the controller (its view) or this command reading the host itself.
    public struct SourcePart: Sendable, Codable, Equatable {
        /// `controller` or `host`.
        public var kind: String
        public var pid: Int32?
        public var socket: String?

        public init(kind: String, pid: Int32? = nil, socket: String? = nil) {
            self.kind = kind
            self.pid = pid
            self.socket = socket
        }
    }

    /// Preloads held for a host suspend (`dispo sleep pre`), while the record is in force (``HostSuspension``).
    public struct SuspendPart: Sendable, Codable, Equatable {
        /// RFC 3339, UTC: when `dispo sleep pre` recorded it.
        public var since: String
        /// Awake seconds since then (time spent suspended does not count).
        public var seconds: Double
        /// Awake seconds after which it is ignored without a `dispo sleep post`.
        public var limit: Double

        /// The part for the record in force in `metadata`, judged on `clock`; nil when none is.
        public init?(_ metadata: [String: String], clock: any HostClock) {
            guard let suspension = HostSuspension.judge(metadata, clock: clock).inForce else { return nil }
            since = suspension.sinceText
            seconds = (suspension.age(on: clock) * 10).rounded() / 10
            limit = HostSuspension.limit
        }
    }

    public var source: SourcePart?
    /// Present while preloads are held for a host suspend.
    public var suspend: SuspendPart?
    public var host: HostPart
    public var config: ConfigPart
    public var history: [HistoryEntry]
    public var templates: [TemplatePart]
    public var named: [NamedPart]
    public var disposables: [DisposablePart]
}

extension StatusReport {
    /// Builds the report from the desired state (possibly partial when the config has errors) and a snapshot.
    public static func make(
        desired: DesiredState, configErrors: [Diagnostic], revisions: Revisions, snapshot: HostSnapshot, backend: String,
        location: String, history: [HistoryEntry] = [], commit: String? = nil, source: SourceStatus? = nil,
        suspend: SuspendPart? = nil
    ) -> StatusReport {
        let observed = ObservedDomains(snapshot)
        let templates = desired.disposableTemplates.keys.sorted().map { name -> TemplatePart in
            let revision = revisions.disposableTemplates[name]
            let preloads = observed.preloads[name] ?? []
            let queue = preloads.filter { $0.stage == .paused && $0.power == .paused && $0.revision == revision }
            let starting = preloads.filter {
                guard let stage = $0.stage else { return false }
                return [.creating, .starting, .ready].contains(stage) && !$0.isDown
            }
            return TemplatePart(name: name, preload: .init(
                max: desired.effectivePreloadMax(forDisposableTemplate: name), ready: queue.count,
                starting: starting.count, queue: queue.map(\.name),
                preloads: queue.map {
                    TemplatePart.PreloadMemory(name: $0.name, memoryKiB: $0.domain.memory.kibibytes,
                        shrink: $0.domain.metadata[MetadataKey.shrink].flatMap(ShrinkRecord.init(metadataValue:)))
                }))
        }
        let named = desired.namedDisposables.keys.sorted().map { name -> NamedPart in
            let domain = observed.named[name]
            let upToDate = domain.map { $0.revision == revisions.namedDisposables[name] } ?? true
            return NamedPart(name: name, desired: desired.namedDisposables[name]?.state?.rawValue,
                state: domain.map { stateWord($0.domain) } ?? "halted", upToDate: upToDate)
        }
        let disposables = observed.unnamed.map {
            DisposablePart(name: $0.name, template: $0.template, role: Role.unnamed.rawValue, state: stateWord($0.domain))
        }
        return StatusReport(
            source: nil, suspend: suspend, host: HostPart(backend: backend, location: location, freeMemoryMib: snapshot.freeMemory.mebibytes,
                totalMemoryMib: snapshot.totalMemory.mebibytes),
            config: ConfigPart(ok: configErrors.isEmpty, errors: configErrors, revision: Digest.config(desired),
                observed: snapshot.metadata[HostMetadataKey.observedConfig], commit: commit, source: source),
            history: history, templates: templates, named: named, disposables: disposables)
    }

    /// running, paused, halted, crashed, or starting (created or booting, not yet ready).
    static func stateWord(_ domain: Domain) -> String {
        if let stage = ObservedDomains.stage(domain), stage == .creating || stage == .starting,
            !ObservedDomains.isDown(domain)
        {
            return "starting"
        }
        return domain.power.rawValue
    }
}
