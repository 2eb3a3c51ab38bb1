public import DispoEngine
import DispoHost

/// Requests and releases through the running controller: the broker works on the config in force, holds
/// what it touches so the planner leaves it alone, and wakes the loop so the refill follows.
extension Controller {
    /// Hands out a disposable (`POST /v1/disposables`).
    public func request(target: String?, source: String?) async throws(RequestError) -> Handout {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        let parsed = try RequestTarget.parse(target)
        guard let desired else {
            throw RequestError(.unavailable, "no valid config is in force yet; fix the config (dispo status shows why)")
        }
        handOuts += 1
        defer {
            handOuts -= 1
            trigger(.request)
        }
        let handout = try await broker.request(parsed, source: source, desired: desired)
        activity.handedOut(handout)
        return handout
    }

    /// Ends an unnamed disposable (`DELETE /v1/disposables/NAME`).
    public func release(_ name: String) async throws(RequestError) {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        let started = clock.now()
        try await broker.release(name)
        activity.released(name, seconds: clock.now() - started)
        trigger(.request)
    }
}
