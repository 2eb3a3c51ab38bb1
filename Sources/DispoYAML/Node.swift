/// One YAML node with the position it came from; aliases are already expanded.
package struct Node: Sendable, Hashable {
    /// How a scalar was written; quoted scalars are never resolved to null, numbers or booleans.
    package enum ScalarStyle: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// A key and its value in a mapping, in source order.
    package struct Pair: Sendable, Hashable {
        package var key: Node
        package var value: Node

        package init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    package enum Content: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    package var content: Content
    /// The explicit tag, if any (`!!str` is reported as `tag:yaml.org,2002:str`).
    package var tag: String?
    package var mark: Mark

    package init(_ content: Content, tag: String? = nil, mark: Mark) {
        self.content = content
        self.tag = tag
        self.mark = mark
    }

    /// The scalar's text, or nil for collections.
    package var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for a plain `~`, `null`, `Null`, `NULL` or empty scalar without a tag, or an explicit `!!null`.
    package var isNull: Bool {
        if tag == Tag.null { return true }
        guard tag == nil, case .scalar(let text, .plain) = content else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// A word for the kind of node, for messages: "a mapping", "a list", "a string", "null".
    package var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            if isNull { return "null" }
            return "a scalar"
        }
    }
}

/// The standard tags libyaml reports for `!!name` shorthands.
package enum Tag {
    package static let null = "tag:yaml.org,2002:null"
    package static let str = "tag:yaml.org,2002:str"
    package static let int = "tag:yaml.org,2002:int"
    package static let float = "tag:yaml.org,2002:float"
    package static let bool = "tag:yaml.org,2002:bool"
    package static let map = "tag:yaml.org,2002:map"
    package static let seq = "tag:yaml.org,2002:seq"
    package static let merge = "tag:yaml.org,2002:merge"

    /// Tags the loader understands; any other explicit tag is refused.
    package static let known: Set<String> = [null, str, int, float, bool, map, seq, merge, "!"]
}
