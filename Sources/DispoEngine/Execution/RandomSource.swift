import Synchronization

/// Where dispids come from: the system's cryptographic generator, or a seeded one in tests.
public protocol RandomSource: Sendable {
    /// A uniformly random integer in `0..<upperBound`.
    func next(below upperBound: Int) -> Int
}

/// `SystemRandomNumberGenerator`: `getrandom(2)` on Linux, cryptographically secure.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func next(below upperBound: Int) -> Int {
        var generator = SystemRandomNumberGenerator()
        return Int.random(in: 0..<upperBound, using: &generator)
    }
}

/// A deterministic source for tests (SplitMix64).
public final class SeededRandomSource: RandomSource {
    private let state: Mutex<UInt64>

    public init(seed: UInt64) {
        state = Mutex(seed)
    }

    public func next(below upperBound: Int) -> Int {
        let value = state.withLock { state -> UInt64 in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Int(value % UInt64(upperBound))
    }
}
