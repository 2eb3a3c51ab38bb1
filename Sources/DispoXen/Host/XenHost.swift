import DispoConfig
public import DispoHost
import Foundation
import Synchronization

/// The real Xen backend (`--host xen`): domains through libxenlight, dispo's records in xenstore.
///
/// - Every blocking libxl and xenstore call runs on a dedicated thread that owns a libxl context: `dispo-xen` for
///   everything but hand-outs, `dispo-xen-handout` for those; libxl's domain death events come from a third
///   (`dispo-xen-events`), and xenstore watches run on `dispo-xs-watch` with its own connection.
/// - Records: `/dispo/domains/<name>/<key>` and `/dispo/host/<key>` (see ``XenstorePaths``), owned by dom0 with
///   no access for guests (`n0`), written before a domain is created.
/// - Files a domain owns (snapshot copies, volatile disks) live in `<stateDirectory>/<name>/` and go with it.
/// - dispo touches only domains whose record says `owner=dispo` and whose UUID matches the record's.
public final class XenHost: DispoHost.Host {
    /// How to open the host.
    public struct Options: Sendable {
        /// Where each domain's own disk files go (`<stateDirectory>/<name>/`); created as needed, mode 0700.
        public var stateDirectory: String
        /// The xenstore node holding dispo's records.
        public var xenstoreRoot: String
        /// Whether libxl's error messages are also printed on stderr (they are always kept for error messages).
        public var echoLibxlErrors: Bool
        /// How often the event stream polls the domains' power states (Xen signals no pause or unpause).
        public var powerPollInterval: Double
        /// Receives warnings (e.g. a snapshot disk copied in full because the filesystem cannot reflink).
        public var warn: @Sendable (String) -> Void

        public init(
            stateDirectory: String = "/var/lib/dispo/disks", xenstoreRoot: String = "/dispo",
            echoLibxlErrors: Bool = true, powerPollInterval: Double = 1,
            warn: @escaping @Sendable (String) -> Void = XenHost.printWarning
        ) {
            self.stateDirectory = stateDirectory
            self.xenstoreRoot = xenstoreRoot
            self.echoLibxlErrors = echoLibxlErrors
            self.powerPollInterval = powerPollInterval
            self.warn = warn
        }
    }

    /// The options the host was opened with.
    public let options: Options
    let paths: XenstorePaths
    let worker: XenWorker
    /// A second thread with its own libxl context and xenstore connection, for hand-outs only: a request never
    /// waits behind a domain being built or a snapshot on ``worker``.
    let handOutWorker: XenWorker
    let watcher: XenstoreWatcher
    /// Shutdown and death of the domains the last snapshot listed, from libxl's event machinery; started by the
    /// first ``events()`` (commands that do not watch never pay for it).
    let deathEvents = Mutex<DomainDeathEvents?>(nil)

    /// Opens libxenlight and xenstore; throws ``HostError/Code/unavailable`` with what to do when either cannot
    /// be opened (not a dom0, not root, xenstored not running).
    public init(options: Options = Options()) throws(HostError) {
        let paths = XenstorePaths(root: options.xenstoreRoot)
        let echo = options.echoLibxlErrors
        worker = try XenWorker(name: "dispo-xen") { () throws(HostError) -> XenSession in
            let libxl = try Libxl(echoErrors: echo)
            let metadata = MetadataStore(store: try Xenstore(), paths: paths)
            try metadata.prepare()
            return XenSession(libxl: libxl, metadata: metadata)
        }
        handOutWorker = try XenWorker(name: "dispo-xen-handout") { () throws(HostError) -> XenSession in
            XenSession(libxl: try Libxl(echoErrors: echo), metadata: MetadataStore(store: try Xenstore(), paths: paths))
        }
        watcher = try XenstoreWatcher()
        self.options = options
        self.paths = paths
    }

    deinit {
        worker.stop()
        handOutWorker.stop()
        watcher.stop()
        deathEvents.withLock { $0?.stop() }
    }

    public var backend: String { "xen" }
    public var location: String { "xen" }

    /// Prints `dispo: warning: MESSAGE` on stderr.
    public static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("dispo: warning: \(message)\n".utf8))
    }

    /// All domains but dom0 (`libxl_list_domain`, one call) with their names and dispo's records, plus records
    /// without a domain (as halted, domid -1; see ``SnapshotAssembly``); free memory from
    /// `libxl_get_free_memory`, total from `libxl_get_physinfo`; host-wide metadata. The listed domains are then
    /// followed for shutdown and death events (``DomainDeathEvents``).
    public func snapshot() async throws(HostError) -> HostSnapshot {
        let snapshot = try await worker.run { session throws(HostError) in
            let live = try session.libxl.domains()
            let records = try session.metadata.domains()
            let host = try session.metadata.host()
            let free = try session.libxl.freeMemoryKiB()
            let total = try session.libxl.totalMemoryKiB()
            var reports: [UInt32: String] = [:]
            for domain in live { reports[domain.domid] = session.meminfo(domain.domid) }
            return HostSnapshot(
                domains: SnapshotAssembly.domains(live: live, metadata: records, reports: reports),
                freeMemory: Size(kibibytes: free), totalMemory: Size(kibibytes: total), metadata: host)
        }
        if let deathEvents = deathEvents.withLock({ $0 }) {
            deathEvents.follow(Set(snapshot.domains.compactMap { $0.domid >= 0 ? UInt32($0.domid) : nil }))
        }
        return snapshot
    }

    /// Merges `values` into the record of `name` (in a xenstore transaction); refused unless dispo owns the domain
    /// (``XenSession/owned(_:)``: also a live domain without a record, or whose UUID is not the record's).
    public func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        _ = try await updateMetadata(name, values, ifMatching: [:])
    }

    /// Atomic: the check and the writes happen in one xenstore transaction (retried on conflict), after the
    /// ownership check of the plain update.
    public func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try Self.validate(name)
        return try await worker.run { session throws(HostError) in
            _ = try session.owned(name)
            return try session.metadata.merge(name, values, ifMatching: expected)
        }
    }

    /// One domain: its domid by name (`libxl_name_to_domid`), its `libxl_domain_info` and its record only (not every
    /// domain's), assembled as a snapshot does (``SnapshotAssembly/domain(named:live:entry:)``): a bare record is a
    /// halted domain, a record naming another UUID is hidden behind the domain. Dom0 and names that cannot be
    /// domains' are nil, as they are in no snapshot.
    public func domain(named name: String) async throws(HostError) -> Domain? {
        guard (try? Self.validate(name)) != nil else { return nil }
        return try await worker.run { session throws(HostError) in
            let live = session.live(name).flatMap { $0.domid == 0 ? nil : $0 }
            return SnapshotAssembly.domain(
                named: name, live: live, entry: try session.metadata.record(name),
                report: live.flatMap { session.meminfo($0.domid) })
        }
    }

    /// Merges `values` into `/dispo/host` (in a xenstore transaction).
    public func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await worker.run { session throws(HostError) in try session.metadata.mergeHost(values) }
    }

    /// The directory of the files `name` owns.
    func directory(of name: String) -> String { options.stateDirectory + "/" + name }

    /// Refuses names that could escape the state directory or are not names at all.
    static func validate(_ name: String) throws(HostError) {
        guard !name.isEmpty, name.utf8.count <= 64, !name.contains("/"), name != ".", name != ".." else {
            throw HostError(.notFound, domain: name, "not a valid domain name")
        }
    }
}

extension XenSession {
    /// What the guest `domid` wrote as its meminfo report (``XenstorePaths/guestMeminfo(_:)``), raw and untrusted;
    /// nil when it has not (or the node cannot be read: a report is never worth failing a read for).
    func meminfo(_ domid: UInt32) -> String? {
        try? metadata.store.read(XenstorePaths.guestMeminfo(domid))
    }

    /// Creates the guest's empty meminfo node, owned by the guest, so that it can report its use.
    func prepareMeminfo(_ domid: UInt32) throws(HostError) {
        let path = XenstorePaths.guestMeminfo(domid)
        try metadata.store.transaction { transaction throws(HostError) in
            try metadata.store.write(path, "", in: transaction)
            try metadata.store.grant(path, toDomain: domid, in: transaction)
        }
    }

    /// The domain named `name` now (dom0 included), without asking xenstore for its name again; nil when none.
    func live(_ name: String) -> LiveDomain? {
        libxl.domid(of: name).flatMap { libxl.domain($0, named: name) }
    }

    /// The domain named `name` (nil when only its record exists) and dispo's record of it, when dispo may change
    /// it (``Ownership/check(_:live:entry:)``).
    func owned(_ name: String) throws(HostError) -> (domain: LiveDomain?, entry: MetadataEntry) {
        let entry = try metadata.entry(name)
        let live = live(name)
        return (live, try Ownership.check(name, live: live, entry: entry))
    }

    /// The live domain `name` that dispo made, in one of `allowed` power states (a bare record counts as halted
    /// and is refused).
    func ownedLive(_ name: String, in allowed: Set<PowerState>, to verb: String) throws(HostError) -> LiveDomain {
        let (domain, _) = try owned(name)
        let power = domain?.flags.power ?? .halted
        guard let domain, allowed.contains(power) else { throw Self.refusal(name, power, to: verb) }
        return domain
    }

    /// ``HostError/Code/invalidState``: cannot `verb` a domain in `power`.
    static func refusal(_ name: String, _ power: PowerState, to verb: String) -> HostError {
        HostError(.invalidState, domain: name, "cannot \(verb) a \(power.rawValue) domain")
    }
}
