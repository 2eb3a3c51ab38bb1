/// Per-key exponential back-off, capped; after `maxAttempts` failures a key is given up.
package struct Backoff: Sendable {
    package var base: Double
    package var cap: Double
    /// nil: retry forever (the controller); a number: give up after that many failures (apply).
    package var maxAttempts: Int?
    private(set) var failures: [String: Int] = [:]
    private(set) var until: [String: Double] = [:]
    /// The last error of each failing key.
    package private(set) var lastError: [String: String] = [:]

    package init(base: Double = 1, cap: Double = 60, maxAttempts: Int? = nil) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    package mutating func recordFailure(_ key: String, now: Double, error: String) {
        let count = (failures[key] ?? 0) + 1
        failures[key] = count
        lastError[key] = error
        if let maxAttempts, count >= maxAttempts {
            until[key] = .infinity
        } else {
            until[key] = now + min(cap, base * Double(1 << min(count - 1, 30)))
        }
    }

    package mutating func recordSuccess(_ key: String) {
        failures[key] = nil
        until[key] = nil
        lastError[key] = nil
    }

    /// Keys not to be tried before the given time (infinity: given up).
    package func blocked(now: Double) -> [String: Double] {
        until.filter { $0.value > now }
    }

    package func isGivenUp(_ key: String) -> Bool { until[key] == .infinity }
    package var givenUp: [String] { until.filter { $0.value == .infinity }.map(\.key).sorted() }
    package func failureCount(_ key: String) -> Int { failures[key] ?? 0 }
}
