/// A disposable with a fixed name; each start is fresh, and when halted no domain exists.
public struct NamedDisposable: Sendable, Hashable {
    /// The power state dispo keeps; nil in the model when not managed.
    public enum PowerState: String, Sendable, Hashable, CaseIterable {
        case running, halted
    }

    public var name: String
    /// The ``DisposableTemplate`` it is made from.
    public var template: String
    /// Settings that override the disposable template's.
    public var overrides: DisposableSettings
    public var state: PowerState?

    public init(name: String, template: String, overrides: DisposableSettings = .init(), state: PowerState? = nil) {
        self.name = name
        self.template = template
        self.overrides = overrides
        self.state = state
    }
}
