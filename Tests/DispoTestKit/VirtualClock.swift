public import DispoHost
import Synchronization

/// Virtual time for tests: sleeping jumps the clock to the deadline at once (never backwards).
///
/// The wall clock runs with the monotonic one, `wallOffset` apart; ``stepWall(by:)`` moves only the wall clock,
/// as NTP or a suspended laptop would.
public final class VirtualClock: HostClock {
    private struct State {
        var now: Double
        var wallOffset = 0.0
    }

    private let state: Mutex<State>

    public init(start: Double = 1_800_000_000) {
        state = Mutex(State(now: start))
    }

    public func now() -> Double { state.withLock { $0.now } }

    public func wallNow() -> Double { state.withLock { $0.now + $0.wallOffset } }

    public func sleep(until deadline: Double) async throws {
        try Task.checkCancellation()
        state.withLock { $0.now = Swift.max($0.now, deadline) }
        await Task.yield()
    }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: Double) {
        state.withLock { $0.now += seconds }
    }

    /// Steps the wall clock alone (forward or back); monotonic time does not move.
    public func stepWall(by seconds: Double) {
        state.withLock { $0.wallOffset += seconds }
    }
}
