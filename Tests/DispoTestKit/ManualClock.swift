public import DispoHost
import Synchronization

/// Virtual time for tests whose sleepers wait until the test moves time past their deadline, so a test can
/// act while an operation sleeps (crash a domain while dispo waits for it, step a controller's timers).
public final class ManualClock: HostClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Double
        var wallOffset = 0.0
        /// Seconds spent in a host suspend (``suspendHost(for:)``), which ``awake()`` does not count.
        var asleep = 0.0
        var boot = "boot-1"
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(start: Double = 1_800_000_000) {
        state = Mutex(State(now: start))
    }

    public func now() -> Double { state.withLock { $0.now } }

    public func wallNow() -> Double { state.withLock { $0.now + $0.wallOffset } }

    public func awake() -> Double { state.withLock { $0.now - $0.asleep } }

    public var boot: String { state.withLock { $0.boot } }

    /// A reboot of the machine: a new ``boot`` (monotonic time goes on, as one test's clock must).
    public func reboot(as boot: String) {
        state.withLock { $0.boot = boot }
    }

    /// The machine sleeps for `seconds`: time passes (sleepers due wake up) but ``awake()`` does not move.
    public func suspendHost(for seconds: Double) {
        state.withLock { $0.asleep += seconds }
        advance(by: seconds)
    }

    /// Steps the wall clock alone (forward or back); monotonic time and the sleepers do not move.
    public func stepWall(by seconds: Double) {
        state.withLock { $0.wallOffset += seconds }
    }

    public func sleep(until deadline: Double) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case due, cancelled, waiting }
                let outcome = state.withLock { state -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= state.now { return .due }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .waiting
                }
                switch outcome {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many are sleeping now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks sleep on this clock.
    public func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// The earliest deadline of the tasks sleeping now.
    public var nextDeadline: Double? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by seconds: Double) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += seconds
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
