/// A problem in a YAML input, at a position.
package struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    package var mark: Mark
    package var message: String

    package init(_ message: String, at mark: Mark) {
        self.mark = mark
        self.message = message
    }

    package var description: String { "\(mark): \(message)" }
}

/// The result of parsing one input: the documents, and the non-fatal problems found on the way
/// (duplicate keys, bad merge keys). A fatal problem is thrown as a ``YAMLError`` instead.
package struct ParsedYAML: Sendable, Hashable {
    package var documents: [Node]
    package var problems: [YAMLError]
}
