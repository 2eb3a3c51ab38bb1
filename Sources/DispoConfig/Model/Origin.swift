package import DispoYAML

/// Where an object was declared: its file (relative to the config directory) and its document.
///
/// The document is kept so the position of any value can be found when a message needs it.
public struct Origin: Sendable, Hashable {
    public var path: String
    package var document: Node

    package init(path: String, document: Node) {
        self.path = path
        self.document = document
    }

    /// The position of the document.
    package var mark: Mark { document.mark }

    /// The position of a value by key path (`memory`, `preload.max`, `disks[0].source`), or of the
    /// object when the key was not written.
    package func mark(of keyPath: String) -> Mark {
        var node = document
        for component in keyPath.split(separator: ".") {
            var name = Substring(component)
            var index: Int?
            if let open = component.firstIndex(of: "["), component.last == "]" {
                name = component[..<open]
                index = Int(component[component.index(after: open)..<component.index(before: component.endIndex)])
            }
            guard case .mapping(let pairs) = node.content,
                let value = pairs.first(where: { $0.key.scalar == String(name) })?.value
            else { return document.mark }
            node = value
            if let index {
                guard case .sequence(let items) = node.content, items.indices.contains(index) else { return document.mark }
                node = items[index]
            }
        }
        return node.mark
    }

    /// `PATH:LINE:COLUMN` of a value.
    public func location(of keyPath: String) -> String {
        let at = mark(of: keyPath)
        return "\(path):\(at.line):\(at.column)"
    }

    public static func == (lhs: Origin, rhs: Origin) -> Bool {
        lhs.path == rhs.path && lhs.document.mark == rhs.document.mark
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(document.mark)
    }
}
