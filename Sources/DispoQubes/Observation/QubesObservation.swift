/// What dispo read from qubesd at one moment: every qube's class and power state, and the details of the qubes
/// it may act on (declared names, and the qubes its index says it made).
public struct QubesObservation: Sendable, Hashable {
    /// One line of `admin.vm.List`.
    public struct Listed: Sendable, Hashable {
        public var name: String
        /// `AdminVM`, `TemplateVM`, `AppVM`, `DispVM`, `StandaloneVM`, ...
        public var klass: String
        /// `Running`, `Halted`, `Paused`, `Transient`, `Halting`, `Dying`, `Crashed`, `Suspended`.
        public var state: String
        public var uuid: String
    }

    /// A property as `admin.vm.property.GetAll` shows it.
    public struct Property: Sendable, Hashable {
        public var value: String
        /// True when the qube inherits the value (nothing set on it).
        public var isDefault: Bool
        public var type: String
    }

    /// The details of one qube: its properties, tags and the features dispo reads.
    public struct Details: Sendable, Hashable {
        public var properties: [String: Property] = [:]
        public var tags: Set<String> = []
        /// Names of every feature set on the qube.
        public var featureNames: Set<String> = []
        /// Values of the features dispo reads (``QubesVocabulary/readFeatures``) that are set.
        public var features: [String: String] = [:]

        public init() {}

        /// Made by dispo: it carries dispo's tag (guests cannot set tags; only dom0 and admin qubes can).
        public var isOwned: Bool { tags.contains(QubesVocabulary.ownerTag) }
    }

    public var listed: [String: Listed] = [:]
    public var details: [String: Details] = [:]
    /// Global properties (`admin.property.GetAll`), e.g. `default_dispvm`.
    public var global: [String: Property] = [:]
    /// dom0's features that dispo reads (preload max and threshold, its index).
    public var dom0Features: [String: String] = [:]

    public init() {}

    /// The qubes dispo's index (dom0 feature ``QubesVocabulary/indexFeature``) names.
    public var index: Set<String> {
        Set((dom0Features[QubesVocabulary.indexFeature] ?? "").split(separator: " ").map(String.init))
    }

    /// The qubes that carry dispo's tag, among those read in detail.
    public var owned: Set<String> { Set(details.filter { $0.value.isOwned }.map(\.key)) }
}

/// The names dispo writes into qubesd.
public enum QubesVocabulary {
    /// The tag on every qube dispo made. Tags `created-by-*` are reserved by qubesd, hence not that.
    public static let ownerTag = "dispo-managed"
    /// On each qube dispo made: the revision (digest) of the spec it was last brought to.
    public static let revisionFeature = "dispo-revision"
    /// On each qube dispo made: the tags it set there from the config (so a tag removed from a file is removed).
    public static let tagsFeature = "dispo-tags"
    /// On dom0: the qubes dispo made, space-separated; written before a create, so pruning finds them with one read.
    public static let indexFeature = "dispo-qubes"
    /// On dom0: set while dispo manages the System settings (dom0's preload features).
    public static let systemFeature = "dispo-system"
    public static let preloadMax = "preload-dispvm-max"
    public static let preloadDelay = "preload-dispvm-delay"
    public static let preloadThreshold = "preload-dispvm-threshold"
    /// qubesd's own list of the preloaded disposables of a disposable template, oldest first.
    public static let preloadList = "preload-dispvm"

    /// Features read (Get) on a qube when its feature list holds them.
    static let readFeatures: Set<String> = [revisionFeature, tagsFeature, preloadMax, preloadDelay, preloadList]
    /// Features read on dom0 when set.
    static let readDom0Features: Set<String> = [indexFeature, systemFeature, preloadMax, preloadThreshold]
}
