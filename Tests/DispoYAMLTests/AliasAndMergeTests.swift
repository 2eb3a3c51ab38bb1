import DispoYAML
import Testing

/// Anchors and aliases, merge keys (`<<`) and duplicate keys.
struct AliasAndMergeTests {
    // MARK: Aliases

    @Test func aliasCopiesAMappingAndTakesTheAliasPosition() throws {
        let root = try parseDocument("base: &b {x: 1, y: [2]}\ncopy: *b\n")
        let base = try #require(root["base"])
        let copy = try #require(root["copy"])
        #expect(copy.content == base.content)
        #expect(copy.keys == ["x", "y"])
        #expect(copy.at("y.0")?.scalar == "2")
        #expect(base.mark == Mark(1, 7))
        #expect(copy.mark == Mark(2, 7))
    }

    @Test func aliasOfAScalarKeepsTextAndStyle() throws {
        let root = try parseDocument("s: &s 'hello'\nlist:\n  - *s\n  - [*s]\n")
        #expect(root["s"]?.mark == Mark(1, 4))
        #expect(root.at("list.0")?.content == .scalar("hello", .singleQuoted))
        #expect(root.at("list.0")?.mark == Mark(3, 5))
        #expect(root.at("list.1.0")?.content == .scalar("hello", .singleQuoted))
        #expect(root.at("list.1.0")?.mark == Mark(4, 6))
    }

    @Test func aliasKeepsTheAnchoredTag() throws {
        let root = try parseDocument("a: &n !!str 7\nb: *n\n")
        #expect(root["b"]?.tag == Tag.str)
        #expect(root["b"]?.scalar == "7")
    }

    @Test func aliasAsAKey() throws {
        let root = try parseDocument("- &k name\n- {*k : value}\n")
        #expect(root.at("1.name")?.scalar == "value")
    }

    @Test func laterAnchorOfTheSameNameWins() throws {
        let root = try parseDocument("a: &x first\nb: &x second\nc: *x\n")
        #expect(root["c"]?.scalar == "second")
    }

    @Test(arguments: [
        ("a: 1\nb: [1, *missing]\n", "missing", Mark(2, 8)),
        ("- *early\n- &early 1\n", "early", Mark(1, 3)),
        ("self: &s [1, *s]\n", "s", Mark(1, 14)),
        ("a: &x 1\n---\nb: *x\n", "x", Mark(3, 4)),
    ])
    func unknownAliasIsAnErrorAtTheAlias(text: String, name: String, mark: Mark) throws {
        let error = try #require(parseError(text))
        #expect(error.message.contains("unknown alias *\(name)"))
        #expect(error.mark == mark)
    }

    // MARK: Merge keys

    @Test func mergeKeyFromOneAnchorExplicitKeysWin() throws {
        let text = """
            base: &base
              cpu: 1
              memory: 256
            vm:
              <<: *base
              memory: 512
            """
        let vm = try #require(try parseDocument(text)["vm"])
        #expect(vm.keys.sorted() == ["cpu", "memory"])
        #expect(vm["cpu"]?.scalar == "1")
        #expect(vm["cpu"]?.mark == Mark(2, 8))
        #expect(vm["memory"]?.scalar == "512")
        #expect(vm["memory"]?.mark == Mark(6, 11))
    }

    @Test func explicitKeyBeforeTheMergeKeyAlsoWins() throws {
        let vm = try #require(try parseDocument("b: &b {cpu: 1, name: base}\nvm: {name: mine, <<: *b}\n")["vm"])
        #expect(vm["name"]?.scalar == "mine")
        #expect(vm["cpu"]?.scalar == "1")
        #expect(vm.keys.count == 2)
    }

    @Test func mergeKeyListFirstMappingWins() throws {
        let text = """
            a: &a {x: from-a, y: from-a}
            b: &b {y: from-b, z: from-b}
            c:
              <<: [*a, *b]
              w: own
            """
        let c = try #require(try parseDocument(text)["c"])
        #expect(c.keys.sorted() == ["w", "x", "y", "z"])
        #expect(c["x"]?.scalar == "from-a")
        #expect(c["y"]?.scalar == "from-a")
        #expect(c["z"]?.scalar == "from-b")
        #expect(c["w"]?.scalar == "own")
        #expect(c.keyNode("<<") == nil)
    }

    @Test func inlineMappingCanBeMerged() throws {
        let root = try parseDocument("m:\n  <<: {k: 1}\n  j: 2\n")
        #expect(root["m"]?.keys.sorted() == ["j", "k"])
    }

    @Test func quotedMergeSpellingIsAnOrdinaryKey() throws {
        let root = try parseDocument("m: {'<<': {k: 1}}\n")
        #expect(root["m"]?.keys == ["<<"])
        #expect(root.at("m.<<")?.keys == ["k"])
    }

    @Test func mergeKeyWithAScalarIsAProblem() throws {
        let parsed = try parse("m:\n  <<: 5\n  b: 1\n")
        #expect(parsed.problems.count == 1)
        #expect(parsed.problems.first?.mark == Mark(2, 7))
        #expect(parsed.problems.first?.message.contains("merge key (<<) needs a mapping") == true)
        #expect(parsed.documents.first?["m"]?.keys == ["b"])
    }

    @Test func mergeKeyListWithAScalarIsAProblem() throws {
        let parsed = try parse("a: &a {x: 1}\nm:\n  <<: [*a, 3]\n")
        #expect(parsed.problems.count == 1)
        #expect(parsed.problems.first?.mark == Mark(3, 12))
        #expect(parsed.problems.first?.message.contains("list may hold only mappings") == true)
        #expect(parsed.documents.first?["m"]?.keys == ["x"])
    }

    // MARK: Duplicate keys

    @Test func duplicateKeyIsAProblemAtTheSecondKeyAndTheFirstValueIsKept() throws {
        let parsed = try parse("name: first\nsize: 1\nname: second\n")
        let problem = try #require(parsed.problems.first)
        #expect(parsed.problems.count == 1)
        #expect(problem.mark == Mark(3, 1))
        #expect(problem.message.contains("duplicate key \"name\""))
        #expect(problem.message.contains("line 1"))
        let root = try #require(parsed.documents.first)
        #expect(root.keys == ["name", "size"])
        #expect(root["name"]?.scalar == "first")
    }

    @Test(arguments: [
        ("{a: 1, a: 2}", "a", Mark(1, 8), "line 1 column 2"),
        ("outer:\n  k: 1\n  x: 0\n  k: 2\n", "k", Mark(4, 3), "line 2 column 3"),
        ("- k: 1\n  k: 2\n", "k", Mark(2, 3), "line 1 column 3"),
        ("a: 1\n\"a\": 2\n", "a", Mark(2, 1), "line 1 column 1"),
        ("x: 1\n---\ny: 1\ny: 2\n", "y", Mark(4, 1), "line 3 column 1"),
    ])
    func duplicateKeyPositions(text: String, key: String, mark: Mark, first: String) throws {
        let parsed = try parse(text)
        #expect(parsed.problems.count == 1)
        let problem = try #require(parsed.problems.first)
        #expect(problem.mark == mark)
        #expect(problem.message.contains("duplicate key \"\(key)\""))
        #expect(problem.message.contains(first))
    }

    @Test func everyRepeatIsReported() throws {
        let parsed = try parse("k: 1\nk: 2\nk: 3\n")
        #expect(parsed.problems.map(\.mark) == [Mark(2, 1), Mark(3, 1)])
        #expect(parsed.documents.first?["k"]?.scalar == "1")
    }

    @Test func distinctSpellingsAreNotDuplicates() throws {
        let parsed = try parse("a: 1\nA: 2\n'a ': 3\n")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.documents.first?.keys == ["a", "A", "a "])
    }

    @Test func mergedKeysNeverCountAsDuplicates() throws {
        let parsed = try parse("a: &a {k: 1}\nb: &b {k: 2}\nm: {<<: [*a, *b], k: 3}\n")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.documents.first?.at("m.k")?.scalar == "3")
    }
}
