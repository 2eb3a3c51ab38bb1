import DispoYAML
import Testing

/// Parses `text` as UTF-8 with `limits`.
func parse(_ text: String, limits: ParseLimits = .standard) throws(YAMLError) -> ParsedYAML {
    try YAMLParser(limits: limits).parse(Array(text.utf8))
}

/// Parses `text`, requiring exactly one document and no problems, and returns its root.
func parseDocument(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Node {
    let parsed = try parse(text)
    #expect(parsed.problems.isEmpty, "unexpected problems: \(parsed.problems)", sourceLocation: sourceLocation)
    try #require(parsed.documents.count == 1, "documents: \(parsed.documents)", sourceLocation: sourceLocation)
    return parsed.documents[0]
}

/// The error that parsing `text` throws, or nil (recorded as a failure) when it parses.
func parseError(
    _ text: String, limits: ParseLimits = .standard, sourceLocation: SourceLocation = #_sourceLocation
) -> YAMLError? {
    parseError(bytes: Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
}

/// The error that parsing `bytes` throws, or nil (recorded as a failure) when it parses.
func parseError(
    bytes: [UInt8], limits: ParseLimits = .standard, sourceLocation: SourceLocation = #_sourceLocation
) -> YAMLError? {
    do {
        let parsed = try YAMLParser(limits: limits).parse(bytes)
        Issue.record("expected an error, parsed \(parsed)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

extension Node {
    /// The pairs of a mapping, or nil.
    var pairs: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The items of a sequence, or nil.
    var items: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The scalar keys of a mapping in order (empty for other nodes).
    var keys: [String] {
        (pairs ?? []).compactMap(\.key.scalar)
    }

    /// The style of a scalar, or nil.
    var style: ScalarStyle? {
        if case .scalar(_, let style) = content { return style }
        return nil
    }

    /// The value under `key` in a mapping.
    subscript(key: String) -> Node? {
        pairs?.first { $0.key.scalar == key }?.value
    }

    /// The key node spelled `key` in a mapping.
    func keyNode(_ key: String) -> Node? {
        pairs?.first { $0.key.scalar == key }?.key
    }

    /// The item at `index` of a sequence.
    subscript(index: Int) -> Node? {
        guard let items, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// The node at a dotted path: names step into mappings, numbers into sequences ("disks.1.size").
    func at(_ path: String) -> Node? {
        var node: Node? = self
        for step in path.split(separator: ".") {
            if let index = Int(step), node?.items != nil {
                node = node?[index]
            } else {
                node = node?[String(step)]
            }
        }
        return node
    }

    /// Every node of the tree, keys included, depth first.
    var allNodes: [Node] {
        switch content {
        case .scalar: return [self]
        case .sequence(let items): return [self] + items.flatMap(\.allNodes)
        case .mapping(let pairs): return [self] + pairs.flatMap { $0.key.allNodes + $0.value.allNodes }
        }
    }
}

extension Mark {
    /// Shorthand for tables: `Mark(3, 7)`.
    init(_ line: Int, _ column: Int) {
        self.init(line: line, column: column)
    }
}
