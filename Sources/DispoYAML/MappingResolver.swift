/// Applies merge keys (`<<: *base`) to a mapping's pairs and reports duplicate keys.
///
/// Keys written in the mapping win over merged ones; among several merged mappings the first wins,
/// as in YAML 1.1's merge key type.
struct MappingResolver {
    private(set) var problems: [YAMLError] = []

    mutating func resolve(_ pairs: [Node.Pair]) -> [Node.Pair] {
        if pairs.count <= 16, isPlain(pairs) { return pairs }
        var result: [Node.Pair] = []
        var seen: [String: Mark] = [:]
        var merged: [Node.Pair] = []
        for pair in pairs {
            if Self.isMergeKey(pair.key) {
                merged += mergeSources(pair.value)
                continue
            }
            if let key = Self.identity(pair.key) {
                if let first = seen[key] {
                    problems.append(YAMLError("duplicate key \"\(pair.key.scalar ?? key)\" (first at line \(first.line) column \(first.column))", at: pair.key.mark))
                    continue
                }
                seen[key] = pair.key.mark
            }
            result.append(pair)
        }
        for pair in merged {
            guard let key = Self.identity(pair.key) else { continue }
            if seen[key] == nil {
                seen[key] = pair.key.mark
                result.append(pair)
            }
        }
        return result
    }

    /// True when no key is a merge key and no two keys are equal (checked pairwise: mappings here are small).
    private func isPlain(_ pairs: [Node.Pair]) -> Bool {
        for index in pairs.indices {
            let key = pairs[index].key
            if Self.isMergeKey(key) { return false }
            guard let text = key.scalar else { continue }
            for other in pairs[..<index] where other.key.scalar == text { return false }
        }
        return true
    }

    private mutating func mergeSources(_ value: Node) -> [Node.Pair] {
        switch value.content {
        case .mapping(let pairs):
            return pairs
        case .sequence(let items):
            var pairs: [Node.Pair] = []
            for item in items {
                if case .mapping(let inner) = item.content {
                    pairs += inner
                } else {
                    problems.append(YAMLError("a merge key (<<) list may hold only mappings", at: item.mark))
                }
            }
            return pairs
        case .scalar:
            problems.append(YAMLError("a merge key (<<) needs a mapping or a list of mappings", at: value.mark))
            return []
        }
    }

    private static func isMergeKey(_ key: Node) -> Bool {
        if key.tag == Tag.merge { return true }
        guard key.tag == nil, case .scalar("<<", .plain) = key.content else { return false }
        return true
    }

    /// The identity used to detect duplicate keys: scalars by text; collections are not compared.
    private static func identity(_ key: Node) -> String? {
        key.scalar
    }
}
