public import DispoYAML

/// Where an object was declared: its file (relative to the config directory), the document's
/// position, and the position of each value by key path (`memory`, `preload.max`, `disks[0].source`).
public struct Origin: Sendable, Hashable {
    public var path: String
    public var mark: Mark
    public var fields: [String: Mark]

    public init(path: String, mark: Mark, fields: [String: Mark] = [:]) {
        self.path = path
        self.mark = mark
        self.fields = fields
    }

    /// The position of a value, or of the object when the key was not written.
    public func mark(of keyPath: String) -> Mark {
        fields[keyPath] ?? mark
    }

    /// `PATH:LINE:COLUMN` of a value.
    public func location(of keyPath: String) -> String {
        let at = mark(of: keyPath)
        return "\(path):\(at.line):\(at.column)"
    }
}
