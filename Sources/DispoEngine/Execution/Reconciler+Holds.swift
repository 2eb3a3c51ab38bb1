import DispoHost

/// Names the broker works on: the planner leaves them alone while held, and dispids in use are not reused.
extension Reconciler {
    /// Marks a domain as being worked on outside the reconciler (a hand-out, a release, a cold start);
    /// false when it is already held or in flight (someone else works on it).
    @discardableResult
    public func hold(_ name: String) -> Bool {
        guard !inFlight.contains(name) else { return false }
        inFlight.insert(name)
        holds.insert(name)
        return true
    }

    /// Ends a hold taken by ``hold(_:)`` (only the holder calls it).
    public func unhold(_ name: String) {
        guard holds.remove(name) != nil else { return }
        inFlight.remove(name)
    }

    /// Names in flight (the reconciler's jobs and the broker's holds).
    public var busyNames: Set<String> { inFlight }

    /// Records that `name` was handed out (views taken before now still show it as a ready preload) and lets
    /// it go.
    public func handedOut(_ name: String) {
        handedOut[name] = clock.now()
        unhold(name)
    }

    /// The newest pass's view with what the broker must not take from it, in one call.
    public func viewForHandOut() -> (HostView, Set<String>)? {
        guard let view = lastView else { return nil }
        return (view, unavailable(since: view.at))
    }

    /// What the broker must not take from a view taken at `takenAt`: names in flight, and names handed out since.
    public func unavailable(since takenAt: Double) -> Set<String> {
        inFlight.union(handedOut.filter { $0.value >= takenAt }.keys)
    }

    /// Preloads of a template being created now.
    public func creatingCount(_ template: String) -> Int { creating[template] ?? 0 }
}
