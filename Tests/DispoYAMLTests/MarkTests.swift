import DispoYAML
import Testing

/// Line and column of every kind of node: 1-based, columns counting characters.
struct MarkTests {
    static let blockDocument = """
        name: web
        size:
          cpu: 2
          memory: 512
        ports: [80, 443]
        env: {mode: prod, tier: "front"}
        disks:
          - /dev/xvda
          - size: 10
            mode: rw
        tags:
        - a
        - b
        """

    @Test(arguments: [
        ("name", Mark(1, 7)),
        ("size", Mark(3, 3)),
        ("size.cpu", Mark(3, 8)),
        ("size.memory", Mark(4, 11)),
        ("ports", Mark(5, 8)),
        ("ports.0", Mark(5, 9)),
        ("ports.1", Mark(5, 13)),
        ("env", Mark(6, 6)),
        ("env.mode", Mark(6, 13)),
        ("env.tier", Mark(6, 25)),
        ("disks", Mark(8, 3)),
        ("disks.0", Mark(8, 5)),
        ("disks.1", Mark(9, 5)),
        ("disks.1.size", Mark(9, 11)),
        ("disks.1.mode", Mark(10, 11)),
        ("tags", Mark(12, 1)),
        ("tags.1", Mark(13, 3)),
    ])
    func valueMarks(path: String, mark: Mark) throws {
        let root = try parseDocument(Self.blockDocument)
        let node = try #require(root.at(path))
        #expect(node.mark == mark)
    }

    @Test(arguments: [
        ("", "name", Mark(1, 1)),
        ("", "size", Mark(2, 1)),
        ("size", "cpu", Mark(3, 3)),
        ("size", "memory", Mark(4, 3)),
        ("env", "mode", Mark(6, 7)),
        ("env", "tier", Mark(6, 19)),
        ("disks.1", "size", Mark(9, 5)),
        ("disks.1", "mode", Mark(10, 5)),
        ("", "tags", Mark(11, 1)),
    ])
    func keyMarks(parent: String, key: String, mark: Mark) throws {
        let root = try parseDocument(Self.blockDocument)
        let mapping = try #require(parent.isEmpty ? root : root.at(parent))
        let keyNode = try #require(mapping.keyNode(key))
        #expect(keyNode.mark == mark)
    }

    @Test func rootMappingStartsAtFirstKey() throws {
        let root = try parseDocument(Self.blockDocument)
        #expect(root.mark == Mark(1, 1))
        #expect(root.keys == ["name", "size", "ports", "env", "disks", "tags"])
    }

    @Test func nodeWithPropertiesStartsAtTheAnchorOrTag() throws {
        let root = try parseDocument("anchored: &base\n  x: 1\ntagged: !!str 5\n")
        #expect(root["anchored"]?.mark == Mark(1, 11))
        #expect(root.at("anchored.x")?.mark == Mark(2, 6))
        #expect(root["tagged"]?.mark == Mark(3, 9))
    }

    @Test func blockScalarStartsAtItsIndicator() throws {
        let root = try parseDocument("script: |\n  echo hi\n  exit 0\nnote: >-\n  a\n  b\nafter: 1\n")
        #expect(root["script"]?.mark == Mark(1, 9))
        #expect(root["note"]?.mark == Mark(4, 7))
        #expect(root.keyNode("after")?.mark == Mark(7, 1))
    }

    @Test func documentAfterCommentsAndMarker() throws {
        let text = """
            # dispo domain file
            # second comment line

            ---
            name: x
            list:
              - 1
            """
        let root = try parseDocument(text)
        #expect(root.mark == Mark(5, 1))
        #expect(root.keyNode("name")?.mark == Mark(5, 1))
        #expect(root["name"]?.mark == Mark(5, 7))
        #expect(root.at("list.0")?.mark == Mark(7, 5))
    }

    @Test(arguments: [
        ("--- {a: 1}\n", Mark(1, 5)),
        ("--- [x]\n", Mark(1, 5)),
        ("# c\n--- plain\n", Mark(2, 5)),
        ("%YAML 1.1\n---\nk: v\n", Mark(3, 1)),
        ("\n\n   k: v\n", Mark(3, 4)),
    ])
    func rootMarks(text: String, mark: Mark) throws {
        #expect(try parseDocument(text).mark == mark)
    }

    @Test func threeDocumentsKeepTheirOwnRootMarks() throws {
        let text = """
            a: 1
            ---
            - x
            - y
            # between
            --- 
            b: 2
            ...
            """
        let parsed = try parse(text)
        #expect(parsed.problems.isEmpty)
        try #require(parsed.documents.count == 3)
        #expect(parsed.documents.map(\.mark) == [Mark(1, 1), Mark(3, 1), Mark(7, 1)])
        #expect(parsed.documents[0]["a"]?.scalar == "1")
        #expect(parsed.documents[1].items?.compactMap(\.scalar) == ["x", "y"])
        #expect(parsed.documents[1][1]?.mark == Mark(4, 3))
        #expect(parsed.documents[2]["b"]?.mark == Mark(7, 4))
    }

    @Test func explicitDocumentsOnMarkerLines() throws {
        let parsed = try parse("--- one\n--- two\n--- {k: three}\n")
        #expect(parsed.documents.map(\.mark) == [Mark(1, 5), Mark(2, 5), Mark(3, 5)])
        #expect(parsed.documents.prefix(2).map(\.scalar) == ["one", "two"])
        #expect(parsed.documents.last?["k"]?.mark == Mark(3, 9))
    }

    /// Each input is `KEY: value`; the value's column counts the characters of the key, not its bytes.
    @Test(arguments: [
        ("ab: v", 5),  // ASCII baseline
        ("é: v", 4),  // 2-byte
        ("ää: v", 5),
        ("名前: v", 5),  // 3-byte
        ("😀😀: v", 5),  // 4-byte
        ("\"日本語\": v", 8),
        ("x: [é, 名, v]", 11),
    ])
    func columnsCountCharacters(text: String, column: Int) throws {
        let root = try parseDocument(text)
        let value = try #require(root.pairs?.first?.value)
        let last = value.items?.last ?? value
        #expect(last.scalar == "v")
        #expect(last.mark == Mark(1, column))
    }

    @Test func multiByteCharactersOnEarlierLinesDoNotShiftLaterColumns() throws {
        let root = try parseDocument("名前: 値\nkey: [😀, b]\n")
        #expect(root["名前"]?.mark == Mark(1, 5))
        #expect(root["名前"]?.scalar == "値")
        #expect(root.at("key.1")?.mark == Mark(2, 10))
    }

    @Test func errorColumnsCountCharacters() throws {
        let error = try #require(parseError("日本: b: c\n"))
        #expect(error.mark == Mark(1, 6))
        #expect(error.message.contains("mapping values are not allowed"))
    }

    @Test func markOrderingAndDescription() {
        #expect(Mark(1, 9) < Mark(2, 1))
        #expect(Mark(2, 1) < Mark(2, 2))
        #expect(!(Mark(3, 3) < Mark(3, 3)))
        #expect(Mark(12, 7).description == "12:7")
        #expect(YAMLError("boom", at: Mark(4, 2)).description == "4:2: boom")
    }
}
