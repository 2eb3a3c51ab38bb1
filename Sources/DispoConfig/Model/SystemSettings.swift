/// Host-wide settings; at most one `kind: System` document.
public struct SystemSettings: Sendable, Hashable {
    public struct Preload: Sendable, Hashable {
        /// When set, overrides the local max of `default_dispvm` (Qubes: dom0 `preload-dispvm-max`).
        public var max: Int?
        /// Free host memory never used for preloads.
        public var threshold: Size

        public init(max: Int? = nil, threshold: Size = Size(kibibytes: 0)) {
            self.max = max
            self.threshold = threshold
        }
    }

    public var defaultDispVM: String?
    public var preload: Preload

    public init(defaultDispVM: String? = nil, preload: Preload = .init()) {
        self.defaultDispVM = defaultDispVM
        self.preload = preload
    }
}
