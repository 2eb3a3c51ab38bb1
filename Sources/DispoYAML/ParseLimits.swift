/// Bounds that keep an untrusted YAML file from costing unbounded time or memory.
public struct ParseLimits: Sendable, Hashable {
    /// Largest accepted input, in bytes.
    public var maxBytes: Int
    /// Most documents (`---`) in one input.
    public var maxDocuments: Int
    /// Deepest nesting of collections, counting alias expansions.
    public var maxDepth: Int
    /// Most nodes that aliases may add in one input (defeats "billion laughs").
    public var maxAliasNodes: Int

    public init(maxBytes: Int = 1 << 20, maxDocuments: Int = 10_000, maxDepth: Int = 64, maxAliasNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDocuments = maxDocuments
        self.maxDepth = maxDepth
        self.maxAliasNodes = maxAliasNodes
    }

    public static let standard = ParseLimits()
}
