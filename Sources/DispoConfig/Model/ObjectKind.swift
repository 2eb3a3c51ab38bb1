/// The kinds of document in `apiVersion: dispo/v1`.
public enum ObjectKind: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case template = "Template"
    case disposableTemplate = "DisposableTemplate"
    case namedDisposable = "NamedDisposable"
    case system = "System"

    public static let apiVersion = "dispo/v1"

    public var description: String { rawValue }

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool { lhs.rank < rhs.rank }

    /// Declaration order: templates first, System last.
    private var rank: Int {
        switch self {
        case .template: return 0
        case .disposableTemplate: return 1
        case .namedDisposable: return 2
        case .system: return 3
        }
    }
}

/// Identifies one object: its kind and name (the System's name is empty).
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var name: String

    public init(_ kind: ObjectKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.kind, lhs.name) < (rhs.kind, rhs.name)
    }

    public var description: String { kind == .system ? "System" : "\(kind) \"\(name)\"" }
}
