/// A problem in a YAML input, at a position.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var mark: Mark
    public var message: String

    public init(_ message: String, at mark: Mark) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(mark): \(message)" }
}

/// The result of parsing one input: the documents, and the non-fatal problems found on the way
/// (duplicate keys, bad merge keys). A fatal problem is thrown as a ``YAMLError`` instead.
public struct ParsedYAML: Sendable, Hashable {
    public var documents: [Node]
    public var problems: [YAMLError]
}
