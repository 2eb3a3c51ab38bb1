import DispoYAML

/// The keys of one YAML mapping, by text, for strict decoding.
struct Fields {
    let node: Node
    private(set) var values: [String: Node] = [:]
    /// Keys in source order with their positions.
    private(set) var keys: [(String, Mark)] = []

    init(_ node: Node, pairs: [Node.Pair], reader: inout Reader) {
        self.node = node
        for pair in pairs {
            guard let key = pair.key.scalar, !pair.key.isNull else {
                reader.error("keys must be plain strings, found \(pair.key.kindDescription)", at: pair.key.mark)
                continue
            }
            values[key] = pair.value
            keys.append((key, pair.key.mark))
        }
    }

    subscript(key: String) -> Node? { values[key] }

    /// Reports every key not in `allowed`, with a suggestion or an explanation from `hints`.
    func rejectUnknown(
        allowed: [String], in what: String, hints: [String: String] = [:], reader: inout Reader
    ) {
        for (key, mark) in keys where !allowed.contains(key) {
            if let hint = hints[key] {
                reader.error("unknown key \"\(key)\" in \(what): \(hint)", at: mark)
            } else {
                reader.error("unknown key \"\(key)\" in \(what)\(Suggestion.hint(for: key, in: allowed))", at: mark)
            }
        }
    }
}
