import DispoYAML

/// The keys of one YAML mapping, in source order, for strict decoding (looked up linearly: they are few).
struct Fields {
    let node: Node
    /// Where the mapping sits in its object (`preload`, `disks[1]`); nil for the document itself.
    let keyPath: String?
    private(set) var entries: [(key: String, keyMark: Mark, value: Node)] = []

    init(_ node: Node, keyPath: String?, pairs: [Node.Pair], reader: inout Reader) {
        self.node = node
        self.keyPath = keyPath
        entries.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let key = pair.key.scalar, !pair.key.isNull else {
                let message = "keys must be plain strings, found \(pair.key.kindDescription)"
                if let keyPath {
                    reader.reject(pair.key, keyPath: keyPath, message)
                } else {
                    reader.error(message, at: pair.key.mark)
                }
                continue
            }
            entries.append((key, pair.key.mark, pair.value))
        }
    }

    /// The key path of `key` in this mapping: `memory` in a document, `preload.delay` under `preload`.
    func path(_ key: String) -> String {
        keyPath.map { "\($0).\(key)" } ?? key
    }

    subscript(key: String) -> Node? {
        for entry in entries where entry.key == key { return entry.value }
        return nil
    }

    /// Reports every key not in `allowed`, with a suggestion or an explanation from `hints`.
    func rejectUnknown(
        allowed: [String], in what: String, hints: [String: String] = [:], reader: inout Reader
    ) {
        let known = Set(allowed)
        var index: SuggestionIndex?
        for entry in entries where !known.contains(entry.key) {
            if let hint = hints[entry.key] {
                reader.error("unknown key \"\(entry.key)\" in \(what): \(hint)", at: entry.keyMark)
            } else {
                if index == nil { index = SuggestionIndex(allowed) }
                let suggestion = index?.hint(for: entry.key, budget: &reader.suggestionBudget) ?? ""
                reader.error("unknown key \"\(entry.key)\" in \(what)\(suggestion)", at: entry.keyMark)
            }
        }
    }
}
