public import DispoHost
import Synchronization

/// Where a simulated host keeps its ``SimState``; every change is a read-modify-write under an exclusive lock.
public protocol SimStore: Sendable {
    /// How the user names the host, e.g. `sim:/tmp/host.json`.
    var location: String { get }

    /// The current state.
    func read() async throws(HostError) -> SimState

    /// Runs `change` on the current state under the lock and saves the result; when `change` throws, nothing is saved.
    func modify<Value: Sendable>(
        _ change: @escaping @Sendable (inout SimState) throws(HostError) -> Value
    ) async throws(HostError) -> Value

    /// Replaces the state whatever it was (even unreadable): `dispo sim init`.
    func replace(with state: SimState) async throws(HostError)

    /// A cheap value that changes whenever the state may have changed (for event polling without reading).
    func changeStamp() -> UInt64
}

/// A store in memory, for tests: fast, and gone with the process.
public final class MemorySimStore: SimStore {
    private let state: Mutex<SimState>
    private let version = Mutex<UInt64>(0)

    public init(_ initial: SimState = SimState()) {
        state = Mutex(initial)
    }

    public func changeStamp() -> UInt64 { version.withLock { $0 } }

    public var location: String { "sim:memory" }

    public func read() async throws(HostError) -> SimState {
        state.withLock { $0 }
    }

    public func modify<Value: Sendable>(
        _ change: @escaping @Sendable (inout SimState) throws(HostError) -> Value
    ) async throws(HostError) -> Value {
        let result = state.withLock { current -> Result<Value, HostError> in
            var copy = current
            let outcome = Result { () throws(HostError) in try change(&copy) }
            if case .success = outcome { current = copy }
            return outcome
        }
        version.withLock { $0 &+= 1 }
        return try result.get()
    }

    public func replace(with state: SimState) async throws(HostError) {
        self.state.withLock { $0 = state }
        version.withLock { $0 &+= 1 }
    }
}
