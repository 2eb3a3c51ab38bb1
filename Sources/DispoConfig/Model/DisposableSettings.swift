/// The settings a disposable is made with, each nil when not written (inherited or defaulted).
///
/// A DisposableTemplate holds them for all its disposables; a NamedDisposable may override any of them.
public struct DisposableSettings: Sendable, Hashable {
    public var memory: Size?
    public var maxmem: Size?
    public var vcpus: Int?
    public var netvm: NetVM?
    public var tags: [String]?
    public var ready: Readiness?
    /// The Qubes label (colour) of the qube; used only by the Qubes backend.
    public var label: QubesLabel?

    public init(
        memory: Size? = nil, maxmem: Size? = nil, vcpus: Int? = nil, netvm: NetVM? = nil, tags: [String]? = nil,
        ready: Readiness? = nil, label: QubesLabel? = nil
    ) {
        self.memory = memory
        self.maxmem = maxmem
        self.vcpus = vcpus
        self.netvm = netvm
        self.tags = tags
        self.ready = ready
        self.label = label
    }

    /// `overrides` where set, else `self`.
    public func overridden(by overrides: DisposableSettings) -> DisposableSettings {
        DisposableSettings(
            memory: overrides.memory ?? memory, maxmem: overrides.maxmem ?? maxmem, vcpus: overrides.vcpus ?? vcpus,
            netvm: overrides.netvm ?? netvm, tags: overrides.tags ?? tags, ready: overrides.ready ?? ready,
            label: overrides.label ?? label)
    }

    /// The defaults, as in Qubes: 400 MiB, 4000 MiB (or memory if larger), 2 vcpus, no network.
    public static let defaultMemory = Size.mebibytes(400)
    public static let defaultMaxmem = Size.mebibytes(4000)
    public static let defaultVcpus = 2
}

/// The backend domain of a disposable's network interface.
public enum NetVM: Sendable, Hashable, CustomStringConvertible {
    /// No network interface (written `none` or null).
    case none
    case domain(String)

    public var name: String? {
        if case .domain(let name) = self { return name }
        return nil
    }

    public var description: String { name ?? "none" }
}

/// How dispo knows a disposable finished booting.
public struct Readiness: Sendable, Hashable {
    /// A xenstore key the guest writes under its own tree, e.g. `data/ready`.
    public var xenstore: String
    public var timeout: Interval

    public static let defaultTimeout = Interval.seconds(60)

    public init(xenstore: String, timeout: Interval = Readiness.defaultTimeout) {
        self.xenstore = xenstore
        self.timeout = timeout
    }
}

/// Qubes OS's eight default labels (the colour of a qube's windows and icon).
public enum QubesLabel: String, Sendable, Hashable, CaseIterable {
    case red, orange, yellow, green, gray, blue, purple, black
}
