/// Bounds that keep an untrusted YAML file from costing unbounded time or memory.
package struct ParseLimits: Sendable, Hashable {
    /// Largest accepted input, in bytes.
    package var maxBytes: Int
    /// Most documents (`---`) in one input.
    package var maxDocuments: Int
    /// Deepest nesting of collections, counting alias expansions.
    package var maxDepth: Int
    /// Most nodes that aliases may add in one input (defeats "billion laughs").
    package var maxAliasNodes: Int

    package init(maxBytes: Int = 1 << 20, maxDocuments: Int = 10_000, maxDepth: Int = 64, maxAliasNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDocuments = maxDocuments
        self.maxDepth = maxDepth
        self.maxAliasNodes = maxAliasNodes
    }

    package static let standard = ParseLimits()
}
