import Testing

@testable import DispoConfig

/// Configs built to make validation slow (found by hostile testing, issue 16): long netvm chains and loops,
/// thousands of dangling references among thousands of names, tens of thousands of unknown keys. The work is
/// bounded by construction (each name walked once, a budget of name comparisons for "did you mean"); the
/// time limits are only a backstop against a hang.
struct HostileConfigTests {
    static let base = "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\n---\n"
        + "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: d\ntemplate: t\n"

    static func load(_ documents: [String]) -> ConfigLoader.Result {
        ConfigLoader(strictModes: false).load(sources: [("a.yaml", Array((base + documents.map { "---\n" + $0 }.joined()).utf8))])
    }

    @Test func loopsAreFoundOnceEachStartingAtTheirSmallestName() {
        var next: [String: String] = [:]
        for i in 0..<10_000 { next["r\(i)"] = "r\((i + 1) % 10_000)" }  // one ring of 10,000
        for i in 1..<10_000 { next["c\(i)"] = "c\(i - 1)" }  // a chain into c0, which leads nowhere
        next["x"] = "y"
        next["y"] = "x"
        next["self"] = "self"
        let loops = Validator.loops(in: next)
        #expect(loops.count == 2)
        #expect(loops.contains(["x", "y"]))
        let ring = loops.first { $0.count == 10_000 }
        #expect(ring?.first == "r0" && ring?[1] == "r1" && ring?.last == "r9999")
    }

    @Test(.timeLimit(.minutes(1)))
    func aLongNetvmLoopOfNamedDisposablesIsOneError() {
        let count = 5_000
        let result = Self.load((0..<count).map {
            "apiVersion: dispo/v1\nkind: NamedDisposable\nname: n\($0)\ntemplate: d\nnetvm: n\(($0 + count - 1) % count)\n"
        })
        let loops = result.diagnostics.filter { $0.message.contains("netvm loop") }
        #expect(loops.count == 1)
        #expect(loops.first?.message.contains("netvm loop: n0 -> n4999 -> n4998") == true, "\(loops.first?.message.prefix(80) ?? "")")
    }

    @Test(.timeLimit(.minutes(1)))
    func manyDanglingReferencesGetHintsWithinABudget() {
        let names = 3_000
        var documents = (0..<names).map { "apiVersion: dispo/v1\nkind: Template\nname: template-\($0)\nkernel: /k\n" }
        documents += (0..<names).map { "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: x\($0)\ntemplate: templat-\($0)\n" }
        let result = Self.load(documents)
        let dangling = result.diagnostics.filter { $0.message.contains("no Template named") }
        #expect(dangling.count == names, "every dangling reference is still reported")
        let hinted = dangling.filter { $0.message.contains("did you mean") }
        let first = dangling.first { $0.message.contains("\"templat-0\"") }
        #expect(first?.message.contains("did you mean \"template-0\"") == true, "x0 is checked first: \(first?.message ?? "")")
        #expect(hinted.count < names, "hints stop when the comparison budget is spent")
        #expect(hinted.count >= Validator.suggestionBudget / (2 * names), "the budget is spent on hints, not lost")
    }

    @Test func aSpentBudgetSuggestsNothing() {
        let index = SuggestionIndex(["memory", "maxmem", "vcpus"])
        var budget = 10
        #expect(index.closest(to: "memroy", budget: &budget) == "memory")
        #expect(budget == 7, "one comparison per candidate of a near length")
        var none = 0
        #expect(index.closest(to: "memroy", budget: &none) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func tensOfThousandsOfUnknownKeysAreEachReported() {
        let keys = (0..<30_000).map { "memroy\($0): 1\n" }.joined()
        let result = ConfigLoader(strictModes: false).load(sources: [
            ("a.yaml", Array(("apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\n" + keys).utf8)),
        ])
        let unknown = result.diagnostics.filter { $0.message.hasPrefix("unknown key") }
        #expect(unknown.count == 30_000)
    }
}
