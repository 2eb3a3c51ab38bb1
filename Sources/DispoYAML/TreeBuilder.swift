internal import CYAML

/// Assembles libyaml events into nodes, enforcing depth, document and alias budgets.
struct TreeBuilder {
    private struct Anchored {
        var node: Node
        var weight: Int
        var height: Int
    }

    private enum Frame {
        case sequence(tag: String?, anchor: String?, mark: Mark, items: [Built])
        case mapping(tag: String?, anchor: String?, mark: Mark, items: [Built])
    }

    /// A finished node with its size (nodes) and height (nesting levels) for the budgets.
    struct Built {
        var node: Node
        var weight: Int
        var height: Int
    }

    let limits: ParseLimits
    private(set) var documents: [Node] = []
    private(set) var problems: [YAMLError] = []
    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var aliasNodes = 0
    private var documentCount = 0
    private var root: Built?

    init(limits: ParseLimits) {
        self.limits = limits
    }

    mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
        let mark = Mark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > limits.maxDocuments {
                throw YAMLError("more than \(limits.maxDocuments) documents in one file", at: mark)
            }
            anchors = [:]
            root = nil
        case YAML_DOCUMENT_END_EVENT:
            if let root, !root.node.isNull { documents.append(root.node) }
            root = nil
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = try Self.tag(scalar.tag, at: mark)
            let node = Node(.scalar(text, Self.style(scalar.style)), tag: tag, mark: mark)
            try finish(Built(node: node, weight: 1, height: 0), anchor: Self.string(scalar.anchor))
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            try push(.sequence(
                tag: try Self.tag(start.tag, at: mark), anchor: Self.string(start.anchor), mark: mark, items: []),
                at: mark)
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            try push(.mapping(
                tag: try Self.tag(start.tag, at: mark), anchor: Self.string(start.anchor), mark: mark, items: []),
                at: mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try pop()
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError("unknown alias *\(name)", at: mark)
            }
            aliasNodes += target.weight
            if aliasNodes > limits.maxAliasNodes {
                throw YAMLError(
                    "aliases expand to more than \(limits.maxAliasNodes) nodes; refusing (alias bomb?)", at: mark)
            }
            if stack.count + target.height > limits.maxDepth {
                throw YAMLError("nesting deeper than \(limits.maxDepth) levels", at: mark)
            }
            var node = target.node
            node.mark = mark
            try finish(Built(node: node, weight: target.weight, height: target.height), anchor: nil)
        default:
            break
        }
    }

    private mutating func push(_ frame: Frame, at mark: Mark) throws(YAMLError) {
        if stack.count >= limits.maxDepth {
            throw YAMLError("nesting deeper than \(limits.maxDepth) levels", at: mark)
        }
        stack.append(frame)
    }

    private mutating func pop() throws(YAMLError) {
        guard let frame = stack.popLast() else { return }
        switch frame {
        case .sequence(let tag, let anchor, let mark, let items):
            let node = Node(.sequence(items.map(\.node)), tag: tag, mark: mark)
            try finish(Self.built(node, from: items), anchor: anchor)
        case .mapping(let tag, let anchor, let mark, let items):
            var pairs: [Node.Pair] = []
            pairs.reserveCapacity(items.count / 2)
            var index = 0
            while index + 1 < items.count {
                pairs.append(Node.Pair(key: items[index].node, value: items[index + 1].node))
                index += 2
            }
            var resolver = MappingResolver()
            let resolved = resolver.resolve(pairs)
            problems += resolver.problems
            let node = Node(.mapping(resolved), tag: tag, mark: mark)
            try finish(Self.built(node, from: items), anchor: anchor)
        }
    }

    private static func built(_ node: Node, from items: [Built]) -> Built {
        var weight = 1
        var height = 0
        for item in items {
            weight += item.weight
            height = max(height, item.height)
        }
        return Built(node: node, weight: weight, height: height + 1)
    }

    private mutating func finish(_ built: Built, anchor: String?) throws(YAMLError) {
        if let anchor {
            anchors[anchor] = Anchored(node: built.node, weight: built.weight, height: built.height)
        }
        guard !stack.isEmpty else {
            root = built
            return
        }
        switch stack[stack.count - 1] {
        case .sequence(let tag, let anchor, let mark, var items):
            stack[stack.count - 1] = .sequence(tag: tag, anchor: anchor, mark: mark, items: [])
            items.append(built)
            stack[stack.count - 1] = .sequence(tag: tag, anchor: anchor, mark: mark, items: items)
        case .mapping(let tag, let anchor, let mark, var items):
            stack[stack.count - 1] = .mapping(tag: tag, anchor: anchor, mark: mark, items: [])
            items.append(built)
            stack[stack.count - 1] = .mapping(tag: tag, anchor: anchor, mark: mark, items: items)
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, at mark: Mark) throws(YAMLError) -> String? {
        guard let tag = string(pointer) else { return nil }
        guard Tag.known.contains(tag) else {
            throw YAMLError("unsupported tag \(tag); dispo files use plain YAML without custom tags", at: mark)
        }
        return tag == "!" ? nil : tag
    }

    private static func style(_ style: yaml_scalar_style_t) -> Node.ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}
