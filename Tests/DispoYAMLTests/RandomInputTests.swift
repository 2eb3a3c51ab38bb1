import DispoYAML
import Testing

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic across runs.
struct LinearCongruentialGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        // The low bits of an LCG are weak; fold the high half in.
        return state ^ (state >> 29)
    }
}

/// Random inputs never crash the parser: it returns nodes or throws a positioned ``YAMLError``.
struct RandomInputTests {
    /// Fragments that exercise YAML's indicators, including ones that trip limits and tags.
    static let fragments = [
        "a", "key", "1", "~", "null", ": ", ":", "- ", "-", "[", "]", "{", "}", ", ", "&x ", "*x", "&y ", "*y",
        "<<: ", "!!str ", "!foo ", "! ", "'", "\"", "\\", "|", ">", "#", "? ", "---", "...", "%YAML 1.1",
        "\n", "\n  ", "\n    ", "\n- ", " ", "\t", "\r\n", "é", "名前", "😀", "\u{FEFF}",
    ]

    static let tightLimits = ParseLimits(maxBytes: 256, maxDocuments: 3, maxDepth: 4, maxAliasNodes: 20)

    static func randomInput(_ index: Int, using rng: inout LinearCongruentialGenerator) -> [UInt8] {
        let length = Int.random(in: 0...40, using: &rng)
        switch index % 3 {
        case 0:
            return Array((0..<length).map { _ in fragments.randomElement(using: &rng) ?? "" }.joined().utf8)
        case 1:
            // Printable ASCII with line breaks and some multi-byte characters.
            let scalars: [Character] = (0..<(length * 2)).map { _ in
                switch Int.random(in: 0..<20, using: &rng) {
                case 0: return "\n"
                case 1: return ["é", "ß", "日", "🙂"].randomElement(using: &rng) ?? "é"
                default: return Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
                }
            }
            return Array(String(scalars).utf8)
        default:
            // Arbitrary bytes, mostly invalid UTF-8.
            return (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }

    static func check(_ bytes: [UInt8], limits: ParseLimits, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = bytes.count { $0 == 0x0A } + 1
        let input = String(decoding: bytes, as: UTF8.self).debugDescription
        do {
            let parsed = try YAMLParser(limits: limits).parse(bytes)
            let marks = parsed.documents.flatMap(\.allNodes).map(\.mark) + parsed.problems.map(\.mark)
            for mark in marks {
                #expect(mark.line >= 1 && mark.column >= 1, "mark \(mark) for \(input)", sourceLocation: sourceLocation)
                #expect(mark.line <= lines + 1, "mark \(mark) past the end of \(input)", sourceLocation: sourceLocation)
            }
        } catch {
            #expect(
                error.mark.line >= 1 && error.mark.column >= 1, "\(error) for \(input)", sourceLocation: sourceLocation)
            #expect(error.mark.line <= lines + 1, "\(error) past the end of \(input)", sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, "empty message for \(input)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [UInt64(1), 0x5EED_D15B0, 0xDEAD_BEEF])
    func randomInputsNeverCrash(seed: UInt64) {
        var rng = LinearCongruentialGenerator(seed: seed)
        for index in 0..<2_000 {
            let bytes = Self.randomInput(index, using: &rng)
            Self.check(bytes, limits: .standard)
            Self.check(bytes, limits: Self.tightLimits)
        }
    }

    @Test func sameInputSameOutcome() {
        var rng = LinearCongruentialGenerator(seed: 42)
        for index in 0..<300 {
            let bytes = Self.randomInput(index, using: &rng)
            let first = Result { () throws(YAMLError) in try YAMLParser().parse(bytes) }
            let second = Result { () throws(YAMLError) in try YAMLParser().parse(bytes) }
            #expect(first == second)
        }
    }

    @Test func generatorIsDeterministic() {
        var a = LinearCongruentialGenerator(seed: 7)
        var b = LinearCongruentialGenerator(seed: 7)
        var c = LinearCongruentialGenerator(seed: 8)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        #expect(Set(first).count == 8)
    }
}
