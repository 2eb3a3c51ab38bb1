/// One YAML node with the position it came from; aliases are already expanded.
public struct Node: Sendable, Hashable {
    /// How a scalar was written; quoted scalars are never resolved to null, numbers or booleans.
    public enum ScalarStyle: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// A key and its value in a mapping, in source order.
    public struct Pair: Sendable, Hashable {
        public var key: Node
        public var value: Node

        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    public enum Content: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public var content: Content
    /// The explicit tag, if any (`!!str` is reported as `tag:yaml.org,2002:str`).
    public var tag: String?
    public var mark: Mark

    public init(_ content: Content, tag: String? = nil, mark: Mark) {
        self.content = content
        self.tag = tag
        self.mark = mark
    }

    /// The scalar's text, or nil for collections.
    public var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for a plain `~`, `null`, `Null`, `NULL` or empty scalar without a tag, or an explicit `!!null`.
    public var isNull: Bool {
        if tag == Tag.null { return true }
        guard tag == nil, case .scalar(let text, .plain) = content else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// A word for the kind of node, for messages: "a mapping", "a list", "a string", "null".
    public var kindDescription: String {
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
public enum Tag {
    public static let null = "tag:yaml.org,2002:null"
    public static let str = "tag:yaml.org,2002:str"
    public static let int = "tag:yaml.org,2002:int"
    public static let float = "tag:yaml.org,2002:float"
    public static let bool = "tag:yaml.org,2002:bool"
    public static let map = "tag:yaml.org,2002:map"
    public static let seq = "tag:yaml.org,2002:seq"
    public static let merge = "tag:yaml.org,2002:merge"

    /// Tags the loader understands; any other explicit tag is refused.
    public static let known: Set<String> = [null, str, int, float, bool, map, seq, merge, "!"]
}
