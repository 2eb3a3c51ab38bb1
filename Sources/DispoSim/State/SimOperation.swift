/// An operation whose next runs can be made to fail (`dispo sim fail OPERATION`).
public enum SimOperation: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case create
    /// The first unpause of a domain, which boots it.
    case start
    case pause
    /// Any later unpause.
    case unpause
    /// The readiness check: the guest never signals ready, so `waitReady` times out.
    case ready

    public var description: String { rawValue }
}
