internal import CYAML

/// Assembles libyaml events into nodes, enforcing depth, document and alias budgets.
///
/// Children of open collections live in one flat buffer; closing a collection takes its slice.
struct TreeBuilder {
    private struct Anchored {
        var node: Node
        var weight: Int
        var height: Int
    }

    private struct OpenCollection {
        var isMapping: Bool
        var tag: String?
        var anchor: String?
        var mark: Mark
        /// Where this collection's children start in `items`.
        var start: Int
        var weight: Int
        var height: Int
    }

    let limits: ParseLimits
    private(set) var documents: [Node] = []
    private(set) var problems: [YAMLError] = []
    private var open: [OpenCollection] = []
    /// Children of the open collections; taken (moved out) when their collection closes.
    private var items: [Node?] = []
    private var anchors: [String: Anchored] = [:]
    private var aliasNodes = 0
    private var documentCount = 0
    private var root: Node?

    init(limits: ParseLimits) {
        self.limits = limits
    }

    mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > limits.maxDocuments {
                throw YAMLError("more than \(limits.maxDocuments) documents in one file", at: Mark(event.start_mark))
            }
            anchors = [:]
            root = nil
        case YAML_DOCUMENT_END_EVENT:
            if let root, !root.isNull { documents.append(root) }
            root = nil
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let mark = Mark(event.start_mark)
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = scalar.tag == nil ? nil : try Self.tag(scalar.tag, at: mark)
            let node = Node(.scalar(text, Self.style(scalar.style)), tag: tag, mark: mark)
            try finish(node, weight: 1, height: 0, anchor: Self.string(scalar.anchor))
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            try push(isMapping: false, tag: start.tag, anchor: start.anchor, mark: Mark(event.start_mark))
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            try push(isMapping: true, tag: start.tag, anchor: start.anchor, mark: Mark(event.start_mark))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try pop()
        case YAML_ALIAS_EVENT:
            let mark = Mark(event.start_mark)
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError("unknown alias *\(name)", at: mark)
            }
            aliasNodes += target.weight
            if aliasNodes > limits.maxAliasNodes {
                throw YAMLError(
                    "aliases expand to more than \(limits.maxAliasNodes) nodes; refusing (alias bomb?)", at: mark)
            }
            if open.count + target.height > limits.maxDepth {
                throw YAMLError("nesting deeper than \(limits.maxDepth) levels", at: mark)
            }
            var node = target.node
            node.mark = mark
            try finish(node, weight: target.weight, height: target.height, anchor: nil)
        default:
            break
        }
    }

    private mutating func push(
        isMapping: Bool, tag: UnsafeMutablePointer<yaml_char_t>?, anchor: UnsafeMutablePointer<yaml_char_t>?,
        mark: Mark
    ) throws(YAMLError) {
        if open.count >= limits.maxDepth {
            throw YAMLError("nesting deeper than \(limits.maxDepth) levels", at: mark)
        }
        let resolvedTag = tag == nil ? nil : try Self.tag(tag, at: mark)
        open.append(OpenCollection(isMapping: isMapping, tag: resolvedTag, anchor: Self.string(anchor), mark: mark,
            start: items.count, weight: 1, height: 0))
    }

    private mutating func pop() throws(YAMLError) {
        guard let collection = open.popLast() else { return }
        let start = collection.start
        let count = items.count - start
        let node: Node
        if collection.isMapping {
            var pairs: [Node.Pair] = []
            pairs.reserveCapacity(count / 2)
            var index = start
            while index + 1 < items.count {
                if let key = items[index].take(), let value = items[index + 1].take() {
                    pairs.append(Node.Pair(key: key, value: value))
                }
                index += 2
            }
            var resolver = MappingResolver()
            let resolved = resolver.resolve(pairs)
            problems += resolver.problems
            node = Node(.mapping(resolved), tag: collection.tag, mark: collection.mark)
        } else {
            var children: [Node] = []
            children.reserveCapacity(count)
            for index in start..<items.count {
                if let child = items[index].take() { children.append(child) }
            }
            node = Node(.sequence(children), tag: collection.tag, mark: collection.mark)
        }
        items.removeSubrange(start...)
        try finish(node, weight: collection.weight, height: collection.height + 1, anchor: collection.anchor)
    }

    private mutating func finish(_ node: Node, weight: Int, height: Int, anchor: String?) throws(YAMLError) {
        if let anchor {
            anchors[anchor] = Anchored(node: node, weight: weight, height: height)
        }
        guard !open.isEmpty else {
            root = node
            return
        }
        open[open.count - 1].weight += weight
        open[open.count - 1].height = max(open[open.count - 1].height, height)
        items.append(node)
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
