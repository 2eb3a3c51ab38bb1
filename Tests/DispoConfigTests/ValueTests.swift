import DispoConfig
import Testing

struct SizeTests {
    @Test(arguments: [
        ("512MiB", 512 * 1024), ("1.5GiB", 1536 * 1024), ("2G", 2 * 1024 * 1024), ("512 M", 512 * 1024),
        ("1K", 1), ("1KiB", 1), ("1TiB", 1 << 30), ("0.5MiB", 512), ("0MiB", 0), ("4000MiB", 4000 * 1024),
    ] as [(String, UInt64)])
    func parsesUnits(text: String, kibibytes: UInt64) {
        #expect((try? Size.parse(text).get()) == Size(kibibytes: kibibytes))
    }

    @Test(arguments: [
        ("4GB", "did you mean \"GiB\""), ("lots", "is not a size"), ("12", "needs a unit"), ("1.5", "needs a unit"),
        ("0.3K", "whole number of KiB"), ("99999999999999999TiB", "too large"), ("1..5GiB", "is not a size"),
        ("5 parsecs", "unknown size unit"), ("GiB", "is not a size"),
    ])
    func refusesBadSizes(text: String, message: String) {
        guard case .failure(let error) = Size.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test(arguments: [
        (Size(kibibytes: 400 * 1024), "400MiB"), (Size(kibibytes: 2 << 20), "2GiB"), (Size(kibibytes: 1536), "1536KiB"),
        (Size(kibibytes: 0), "0KiB"), (Size(kibibytes: 3 << 30), "3TiB"),
    ])
    func describesExactly(size: Size, text: String) {
        #expect(size.description == text)
        #expect((try? Size.parse(text).get()) == size)
    }
}

struct IntervalTests {
    @Test(arguments: [
        ("3s", 3000), ("500ms", 500), ("2m", 120_000), ("1h", 3_600_000), ("1.5s", 1500), ("-1s", -1000),
        ("3", 3000), ("1.5", 1500), ("-1.2", -1200), ("0", 0), ("250 ms", 250),
    ] as [(String, Int64)])
    func parses(text: String, milliseconds: Int64) {
        #expect((try? Interval.parse(text, unitRequired: false).get()) == Interval(milliseconds: milliseconds))
    }

    @Test(arguments: [
        ("3", true, "needs a unit"), ("3d", false, "unknown duration unit"), ("1.0005s", false, "finer than a millisecond"),
        ("+3s", false, "not a duration"), ("s", false, "not a duration"), ("--1s", false, "not a duration"),
    ])
    func refuses(text: String, unitRequired: Bool, message: String) {
        guard case .failure(let error) = Interval.parse(text, unitRequired: unitRequired) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test(arguments: [(3000, "3s"), (500, "500ms"), (120_000, "2m"), (-1200, "-1200ms"), (0, "0s"), (7_200_000, "2h")]
        as [(Int64, String)])
    func describes(milliseconds: Int64, text: String) {
        #expect(Interval(milliseconds: milliseconds).description == text)
    }
}

struct NameTests {
    @Test(arguments: ["debian-12", "a", "sys.net_1-x", "A234567890123456789012345678901", "display", "disp"])
    func accepts(name: String) {
        #expect(Names.problem(with: name) == nil)
    }

    @Test(arguments: [
        ("", "empty"), ("1abc", "must start with a letter"), ("A2345678901234567890123456789012", "at most 31"),
        ("has space", "contains \" \""), ("dom0", "reserved"), ("none", "reserved"), ("default", "reserved"),
        ("disp12", "unnamed disposables"), ("disp0", "unnamed disposables"), ("café", "contains"),
        ("-x", "must start with a letter"),
    ])
    func refuses(name: String, message: String) {
        let problem = Names.problem(with: name)
        #expect(problem?.contains(message) == true, "\(String(describing: problem))")
    }
}

struct SuggestionTests {
    @Test(arguments: [
        ("memroy", "memory"), ("Templte", "Template"), ("vcpu", "vcpus"), ("max_mem", "maxmem"), ("netmv", "netvm"),
    ])
    func suggestsTypos(word: String, expected: String) {
        let candidates = ["memory", "maxmem", "vcpus", "netvm", "tags", "ready", "Template", "System"]
        #expect(Suggestion.closest(to: word, in: candidates) == expected)
    }

    @Test func staysQuietForUnrelatedWords() {
        #expect(Suggestion.closest(to: "colour", in: ["memory", "vcpus", "netvm"]) == nil)
    }
}
