import DispoYAML
import Testing

/// Inputs libyaml or the node layer refuse, and where the error points.
struct MalformedInputTests {
    @Test(arguments: [
        ("a:\n\tb: 1\n", Mark(2, 1)),
        ("\t- a\n", Mark(1, 1)),
        ("list:\n  - a\n\t- b\n", Mark(3, 1)),
        ("a: 1\n\tb: 2\n", Mark(2, 1)),
    ])
    func tabIndentationNamesTheTab(text: String, mark: Mark) throws {
        let error = try #require(parseError(text))
        #expect(error.message.contains("tab"))
        #expect(error.mark == mark)
    }

    @Test func tabIndentationMessageSaysToUseSpaces() throws {
        let error = try #require(parseError("a:\n\tb: 1\n"))
        #expect(error.message == "found a tab character; YAML indentation must use spaces")
    }

    @Test(
        arguments: [
            ([0x61, 0x3A, 0x20, 0xFF, 0xFE], Mark(1, 4), "invalid leading UTF-8 octet"),
            ([0x61, 0x0A, 0x62, 0xC3], Mark(2, 2), "incomplete UTF-8 octet sequence"),
            ([0xC3, 0xA9, 0x3A, 0x20, 0x80], Mark(1, 4), "invalid leading UTF-8 octet"),
            // libyaml reports the offending trailing byte, the fifth character here.
            ([0x6B, 0x3A, 0x20, 0xC3, 0x28], Mark(1, 5), "invalid trailing UTF-8 octet"),
            ([0x61, 0x0A, 0xE6, 0x97, 0xA5, 0x0A, 0x78, 0xFF], Mark(3, 2), "invalid leading UTF-8 octet"),
        ] as [([UInt8], Mark, String)])
    func invalidUTF8(bytes: [UInt8], mark: Mark, detail: String) throws {
        let error = try #require(parseError(bytes: bytes))
        #expect(error.message.contains("UTF-8"))
        #expect(error.message.contains("not valid UTF-8"))
        #expect(error.message.contains(detail))
        #expect(error.mark == mark)
    }

    @Test(
        arguments: [
            // Unclosed flow collections: libyaml reports the end of input and names the opening bracket.
            ("[1, 2", Mark(2, 1), "did not find expected ',' or ']'", "parsing a flow sequence at line 1 column 1"),
            (
                "k: [1, 2\nj: 3\n", Mark(2, 2), "did not find expected ',' or ']'",
                "parsing a flow sequence at line 1 column 4"
            ),
            ("{a: 1", Mark(2, 1), "did not find expected ',' or '}'", "parsing a flow mapping at line 1 column 1"),
            ("a: b: c\n", Mark(1, 5), "mapping values are not allowed in this context", nil),
            ("outer:\n  inner: x: y\n", Mark(2, 11), "mapping values are not allowed in this context", nil),
            (
                "- a\nb: c\n", Mark(2, 1), "did not find expected '-' indicator",
                "parsing a block collection at line 1 column 1"
            ),
            (
                "a:\n  - b\n  c: d\n", Mark(3, 3), "did not find expected '-' indicator",
                "parsing a block collection at line 2 column 3"
            ),
            (
                "key: \"open\n", Mark(2, 1), "found unexpected end of stream",
                "scanning a quoted scalar at line 1 column 6"
            ),
            ("a: 1\n b: 2\n", Mark(2, 3), "mapping values are not allowed in this context", nil),
            ("a: ]\n", Mark(1, 4), "did not find expected node content", nil),
        ] as [(String, Mark, String, String?)])
    func syntaxErrors(text: String, mark: Mark, problem: String, context: String?) throws {
        let error = try #require(parseError(text))
        #expect(error.message.hasPrefix(problem))
        if let context {
            #expect(error.message.hasSuffix("(while \(context))"))
        }
        #expect(error.mark == mark)
    }

    @Test(arguments: [
        ("a: !foo bar\n", "!foo", Mark(1, 4)),
        ("--- !foo\na: 1\n", "!foo", Mark(1, 5)),
        ("- !foo [1]\n", "!foo", Mark(1, 3)),
        ("m: !thing {a: 1}\n", "!thing", Mark(1, 4)),
        ("a: !!binary aGk=\n", "tag:yaml.org,2002:binary", Mark(1, 4)),
        ("a: !<tag:example.com,2024:x> 1\n", "tag:example.com,2024:x", Mark(1, 4)),
    ])
    func unsupportedTags(text: String, tag: String, mark: Mark) throws {
        let error = try #require(parseError(text))
        #expect(error.message.contains("unsupported tag \(tag)"))
        #expect(error.mark == mark)
    }

    @Test func errorAfterGoodDocumentsStillThrows() throws {
        let error = try #require(parseError("a: 1\n---\nb: 2\n---\nc: [\n"))
        #expect(error.mark.line == 6)
    }

    @Test func fatalErrorDescriptionCarriesThePosition() throws {
        let error = try #require(parseError("a: *nope\n"))
        #expect(error.description == "1:4: unknown alias *nope")
    }
}

/// Tab detection must find the tab by character position, not by libyaml's character index used as a byte offset.
struct TabPositionTests {
    @Test func tabAfterMultibyteCharactersIsStillATab() {
        let error = parseError("ééééé: 1\nb:\n\tc: 2\n")
        #expect(error?.message == "found a tab character; YAML indentation must use spaces")
        #expect(error?.mark == Mark(line: 3, column: 1))
    }

    @Test func tabInsideACommentIsNotBlamed() {
        let error = parseError("#éé\t\n@")
        #expect(error?.message.hasPrefix("found character that cannot start any token") == true)
        #expect(error?.mark == Mark(line: 2, column: 1))
    }
}
