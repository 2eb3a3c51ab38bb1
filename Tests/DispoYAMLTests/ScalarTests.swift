import DispoYAML
import Testing

/// Scalar styles and text, null resolution, tags, and inputs that hold no document.
struct ScalarTests {
    @Test(arguments: [
        ("v: plain text", "plain text", Node.ScalarStyle.plain),
        ("v: 'single'", "single", .singleQuoted),
        ("v: 'it''s'", "it's", .singleQuoted),
        ("v: \"double\\tquoted\\n\"", "double\tquoted\n", .doubleQuoted),
        ("v: \"\\u00e9\"", "é", .doubleQuoted),
        ("v: |\n  line one\n  line two\n", "line one\nline two\n", .literal),
        ("v: |-\n  kept\n   indented\n", "kept\n indented", .literal),
        ("v: >\n  folded\n  words\n\n  para\n", "folded words\npara\n", .folded),
        ("v: >-\n  no\n  newline\n", "no newline", .folded),
        ("v: 0x1F", "0x1F", .plain),
        ("v: 名前", "名前", .plain),
    ])
    func scalarStyleAndText(text: String, value: String, style: Node.ScalarStyle) throws {
        let node = try #require(try parseDocument(text)["v"])
        #expect(node.content == .scalar(value, style))
        #expect(node.tag == nil)
        #expect(node.scalar == value)
        #expect(node.mark == Mark(1, 4))
    }

    @Test(arguments: [
        ("v: ~", true),
        ("v: null", true),
        ("v: Null", true),
        ("v: NULL", true),
        ("v:", true),
        ("v: !!null", true),
        ("v: !!null ''", true),
        ("v: \"null\"", false),
        ("v: 'null'", false),
        ("v: '~'", false),
        ("v: \"\"", false),
        ("v: ''", false),
        ("v: nUll", false),
        ("v: nil", false),
        ("v: None", false),
        ("v: 0", false),
        ("v: !!str null", false),
        ("v: !!str", false),
        ("v: []", false),
        ("v: {}", false),
    ])
    func nullSpellings(text: String, isNull: Bool) throws {
        let node = try #require(try parseDocument(text)["v"])
        #expect(node.isNull == isNull)
        #expect((node.kindDescription == "null") == isNull)
    }

    @Test(arguments: [
        ("v: {a: 1}", "a mapping"),
        ("v: [1]", "a list"),
        ("v: text", "a scalar"),
        ("v: '~'", "a scalar"),
        ("v: ~", "null"),
    ])
    func kindDescriptions(text: String, kind: String) throws {
        #expect(try parseDocument(text)["v"]?.kindDescription == kind)
    }

    @Test(arguments: [
        ("v: !!str 123", "123", Tag.str),
        ("v: !!int \"42\"", "42", Tag.int),
        ("v: !!float 1.5", "1.5", Tag.float),
        ("v: !!bool yes", "yes", Tag.bool),
        ("v: !<tag:yaml.org,2002:str> verbatim", "verbatim", Tag.str),
    ])
    func standardTagsAreKept(text: String, value: String, tag: String) throws {
        let node = try #require(try parseDocument(text)["v"])
        #expect(node.scalar == value)
        #expect(node.tag == tag)
    }

    @Test func strTagSpellsTheFullTagName() throws {
        let node = try #require(try parseDocument("port: !!str 123")["port"])
        #expect(node.tag == "tag:yaml.org,2002:str")
        #expect(node.content == .scalar("123", .plain))
    }

    @Test func collectionTagsAndNonSpecificTag() throws {
        let root = try parseDocument("m: !!map {a: 1}\ns: !!seq [1]\nn: ! plain\n")
        #expect(root["m"]?.tag == Tag.map)
        #expect(root["m"]?.keys == ["a"])
        #expect(root["s"]?.tag == Tag.seq)
        #expect(root["s"]?.items?.count == 1)
        #expect(root["n"]?.tag == nil)
        #expect(root["n"]?.scalar == "plain")
    }

    @Test(arguments: [
        "",
        " ",
        "\n",
        "   \n\n  \n",
        "\r\n\r\n",
        "# only a comment",
        "# one\n  # two\n\n# three\n",
        "---",
        "---\n",
        "--- ~",
        "--- null\n",
        "---\n...\n",
        "---\n---\n--- # comment\n",
        "--- !!null\n",
        "~\n",
    ])
    func inputsWithoutDocuments(text: String) throws {
        let parsed = try parse(text)
        #expect(parsed.documents.isEmpty)
        #expect(parsed.problems.isEmpty)
    }

    @Test func nullDocumentsAreDroppedButOthersKept() throws {
        let parsed = try parse("--- ~\n--- \"null\"\n---\n--- ''\n--- 0\n")
        #expect(parsed.documents.map(\.scalar) == ["null", "", "0"])
        #expect(parsed.documents.map(\.style) == [.doubleQuoted, .singleQuoted, .plain])
        #expect(parsed.documents.map(\.mark) == [Mark(2, 5), Mark(4, 5), Mark(5, 5)])
    }

    @Test func emptyBytesParse() throws {
        let parsed = try YAMLParser().parse([])
        #expect(parsed.documents.isEmpty)
        #expect(parsed.problems.isEmpty)
    }
}
