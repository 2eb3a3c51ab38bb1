/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate closest to `word`, if close enough to be a likely typo.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        var unlimited = Int.max
        return SuggestionIndex(Array(candidates)).closest(to: word, budget: &unlimited)
    }

    /// How far a candidate may be from a word to be suggested: a third of its length, 1 to 3 edits.
    static func allowedDistance(_ candidate: Int) -> Int { Swift.max(1, Swift.min(3, candidate / 3)) }

    /// `; did you mean "x"?` or an empty string.
    public static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        var unlimited = Int.max
        return SuggestionIndex(Array(candidates)).hint(for: word, budget: &unlimited)
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit, or any value above `limit` as
    /// soon as every cell of a row exceeds it (the distance can only grow from there), so a far candidate costs
    /// a few rows, not the whole table.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], previous2[j - 2] + 1)
                }
            }
            if let least = current.min(), least > limit, i > 1 { return least }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}

/// Candidate names prepared once (lowercased, as scalars, bucketed by length) for many "did you mean" queries:
/// a query compares only names whose length is within the allowed distance, and stops each comparison early.
struct SuggestionIndex {
    private var byLength: [Int: [(name: String, scalars: [Unicode.Scalar])]] = [:]

    init(_ names: [String]) {
        for name in names.sorted() {
            let scalars = Array(name.lowercased().unicodeScalars)
            byLength[scalars.count, default: []].append((name, scalars))
        }
    }

    /// The closest candidate within its allowed distance (ties: the first in sorted order), or nil. Each
    /// comparison spends one of `budget`; a query that runs out of it suggests nothing.
    func closest(to word: String, budget: inout Int) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for length in Swift.max(0, target.count - 3)...(target.count + 3) {
            for candidate in byLength[length] ?? [] {
                guard budget > 0 else { return nil }
                budget -= 1
                let allowed = Suggestion.allowedDistance(candidate.name.count)
                guard abs(length - target.count) <= allowed else { continue }
                let distance = Suggestion.editDistance(target, candidate.scalars, limit: allowed)
                guard distance <= allowed else { continue }
                if let current = best, current.distance < distance || (current.distance == distance && current.name < candidate.name) {
                    continue
                }
                best = (candidate.name, distance)
            }
        }
        return best?.name
    }

    /// `; did you mean "x"?` or an empty string.
    func hint(for word: String, budget: inout Int) -> String {
        closest(to: word, budget: &budget).map { "; did you mean \"\($0)\"?" } ?? ""
    }
}
