/// Settings from which disposables are made, with the preload queue (Qubes: an AppVM with
/// `template_for_dispvms`).
public struct DisposableTemplate: Sendable, Hashable {
    /// The preload queue's settings.
    public struct Preload: Sendable, Hashable {
        public var max: Int
        /// Refill delay after a use; negative: refill only when the queue is empty.
        public var delay: Interval

        public static let maxLimit = 50
        public static let defaultDelay = Interval.seconds(3)

        public init(max: Int = 0, delay: Interval = Preload.defaultDelay) {
            self.max = max
            self.delay = delay
        }
    }

    public var name: String
    /// The ``Template`` disposables boot from.
    public var template: String
    public var settings: DisposableSettings
    public var preload: Preload

    public init(name: String, template: String, settings: DisposableSettings = .init(), preload: Preload = .init()) {
        self.name = name
        self.template = template
        self.settings = settings
        self.preload = preload
    }
}
