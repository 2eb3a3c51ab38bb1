import DispoYAML
import Testing

/// `ParseLimits`: alias expansion, nesting depth, document count and input size.
struct LimitTests {
    /// "Billion laughs": each level is a list of ten aliases of the level before.
    static func aliasBomb(levels: Int) -> String {
        var lines = ["l0: &l0 [" + Array(repeating: "\"lol\"", count: 10).joined(separator: ", ") + "]"]
        for level in 1..<levels {
            let aliases = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("l\(level): &l\(level) [\(aliases)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func nestedFlowLists(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + "x" + String(repeating: "]", count: depth)
    }

    // MARK: Aliases

    @Test(arguments: [9, 10])
    func aliasBombIsRefusedQuickly(levels: Int) throws {
        let clock = ContinuousClock()
        var error: YAMLError?
        let elapsed = clock.measure { error = parseError(Self.aliasBomb(levels: levels)) }
        let refused = try #require(error)
        #expect(refused.message.contains("alias"))
        #expect(refused.message.contains("100000"))
        // Weights: l0 = 11 nodes, l1 = 111, l2 = 1111 ...; the budget of 100,000 runs out
        // at the 8th alias on line 5 (columns 10, 15, ..., 45).
        #expect(refused.mark == Mark(5, 45))
        #expect(elapsed < .seconds(2))
    }

    @Test func smallAliasBudget() throws {
        let text = "a: &a [1, 2]\nb: *a\nc: *a\n"
        let error = try #require(parseError(text, limits: ParseLimits(maxAliasNodes: 3)))
        #expect(error.message.contains("more than 3 nodes"))
        #expect(error.mark == Mark(3, 4))
        let parsed = try parse(text, limits: ParseLimits(maxAliasNodes: 6))
        #expect(parsed.documents.first?["c"]?.items?.count == 2)
    }

    @Test func aliasBudgetIsPerInputNotPerDocument() throws {
        let text = "a: &a [1, 2]\nb: *a\n---\na: &a [1, 2]\nb: *a\n"
        let error = try #require(parseError(text, limits: ParseLimits(maxAliasNodes: 5)))
        #expect(error.mark == Mark(5, 4))
    }

    @Test func manyOrdinaryAliasesAreAccepted() throws {
        let aliases = (0..<1_000).map { "k\($0): *base" }.joined(separator: "\n")
        let root = try parseDocument("base: &base {cpu: 1, memory: 2}\n" + aliases + "\n")
        #expect(root.keys.count == 1_001)
        #expect(root.at("k999.memory")?.scalar == "2")
        #expect(root["k999"]?.mark == Mark(1_001, 7))
    }

    // MARK: Depth

    @Test func hundredNestedListsExceedTheDefaultDepth() throws {
        let error = try #require(parseError(Self.nestedFlowLists(100)))
        #expect(error.message.contains("nesting deeper than 64 levels"))
        #expect(error.mark == Mark(1, 65))
    }

    @Test func defaultDepthAllowsExactly64Levels() throws {
        var node = try parseDocument(Self.nestedFlowLists(64))
        var depth = 0
        while let items = node.items {
            depth += 1
            node = try #require(items.first)
        }
        #expect(depth == 64)
        #expect(node.scalar == "x")
        #expect(node.mark == Mark(1, 65))
        #expect(parseError(Self.nestedFlowLists(65))?.mark == Mark(1, 65))
    }

    @Test func customSmallDepthOnFlowLists() throws {
        let error = try #require(parseError(Self.nestedFlowLists(100), limits: ParseLimits(maxDepth: 5)))
        #expect(error.message.contains("deeper than 5 levels"))
        #expect(error.mark == Mark(1, 6))
    }

    @Test func customSmallDepthOnBlockMappings() throws {
        let text = "a:\n  b:\n    c:\n      d: 1\n"
        let error = try #require(parseError(text, limits: ParseLimits(maxDepth: 3)))
        #expect(error.message.contains("deeper than 3 levels"))
        #expect(error.mark == Mark(4, 7))
        let root = try YAMLParser(limits: ParseLimits(maxDepth: 4)).parse(Array(text.utf8)).documents.first
        #expect(root?.at("a.b.c.d")?.scalar == "1")
    }

    @Test func depthCountsAliasExpansions() throws {
        let limits = ParseLimits(maxDepth: 3)
        let error = try #require(parseError("a: &x [[1]]\nb: [*x]\n", limits: limits))
        #expect(error.message.contains("deeper than 3 levels"))
        #expect(error.mark == Mark(2, 5))
        let parsed = try parse("a: &x [[1]]\nb: *x\n", limits: limits)
        #expect(parsed.documents.first?.at("b.0.0")?.scalar == "1")
    }

    // MARK: Documents

    @Test func moreDocumentsThanTheCustomLimit() throws {
        let text = "a: 1\n---\nb: 2\n---\nc: 3\n"
        let error = try #require(parseError(text, limits: ParseLimits(maxDocuments: 2)))
        #expect(error.message.contains("more than 2 documents"))
        #expect(error.mark == Mark(4, 1))
        #expect(try parse(text, limits: ParseLimits(maxDocuments: 3)).documents.count == 3)
    }

    @Test func emptyDocumentsCountTowardTheLimit() throws {
        let error = try #require(parseError("---\n---\n---\n", limits: ParseLimits(maxDocuments: 2)))
        #expect(error.mark == Mark(3, 1))
    }

    @Test func defaultDocumentLimitIs10000() throws {
        let text = String(repeating: "--- x\n", count: 10_000)
        #expect(try parse(text).documents.count == 10_000)
        let error = try #require(parseError(text + "--- y\n"))
        #expect(error.message.contains("more than 10000 documents"))
        #expect(error.mark == Mark(10_001, 1))
    }

    // MARK: Size

    @Test func inputOverCustomMaxBytesIsRefusedBeforeParsing() throws {
        // Eleven bytes that would be a syntax error if they were parsed.
        let error = try #require(parseError("[[[[[[[[[[[", limits: ParseLimits(maxBytes: 10)))
        #expect(error.message.contains("11 bytes"))
        #expect(error.message.contains("limit of 10 bytes"))
        #expect(error.mark == Mark(1, 1))
    }

    @Test func inputOfExactlyMaxBytesIsParsed() throws {
        let parsed = try parse("a: 1234567", limits: ParseLimits(maxBytes: 10))
        #expect(parsed.documents.first?["a"]?.scalar == "1234567")
    }

    @Test func sizeCountsBytesNotCharacters() throws {
        // Six characters, twelve bytes.
        let error = try #require(parseError("k: 日本語", limits: ParseLimits(maxBytes: 10)))
        #expect(error.message.contains("12 bytes"))
    }

    @Test func oneMebibytePlusOneIsRefusedWithTheDefaultLimit() throws {
        // Invalid UTF-8 throughout: a size error proves the bytes were never read.
        let bytes = [UInt8](repeating: 0xFF, count: (1 << 20) + 1)
        let error = try #require(parseError(bytes: bytes))
        #expect(error.message.contains("1048577 bytes"))
        #expect(error.message.contains("limit of 1048576 bytes"))
        #expect(!error.message.contains("UTF-8"))
        #expect(error.mark == Mark(1, 1))
    }

    @Test func oneMebibyteIsAcceptedWithTheDefaultLimit() throws {
        let text = "k: " + String(repeating: "v", count: (1 << 20) - 3)
        #expect(text.utf8.count == 1 << 20)
        let root = try parseDocument(text)
        #expect(root["k"]?.scalar?.count == (1 << 20) - 3)
    }
}
