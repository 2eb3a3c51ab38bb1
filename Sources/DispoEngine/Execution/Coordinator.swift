package import DispoHost
import Synchronization

/// What the reconciler and the broker of one process share, behind one lock (no actor hop, so a request never
/// waits behind a pass):
///
/// - the names being worked on: the reconciler's jobs and the broker's holds (the planner leaves them alone, no
///   two requests take one name, and their dispids are not reused);
/// - creations in progress per template, and waiting for the next one to finish (a request that found the queue
///   empty takes the preload being made instead of polling the host);
/// - the newest view of the host a pass took, with the hand-outs made since (a view taken before a hand-out never
///   offers that domain again);
/// - hand-outs still writing their `used` record (``settle()`` waits for them: a stop never drops one);
/// - the stamps of the records it writes, which never go backwards (a wall-clock step back cannot reorder a queue),
///   and the monotonic time of each recorded use (a wall-clock step cannot move a refill delay).
///
/// Every hold is released synchronously by its holder, before the holder returns.
package final class Coordinator: Sendable {
    struct Waiter {
        var template: String
        var continuation: CheckedContinuation<String?, Never>
    }

    struct Completion {
        var name: String
        var at: Double
    }

    struct State {
        var jobs: Set<String> = []
        var holds: Set<String> = []
        var creating: [String: Int] = [:]
        /// Preloads that finished being made, per template, newest last (a few, for requests that looked just before).
        var completed: [String: [Completion]] = [:]
        var waiters: [Int: Waiter] = [:]
        var lastView: HostView?
        var handedOut: [String: Double] = [:]
        var recording: [String: Task<Void, Never>] = [:]
        var stampFloor = 0.0
        /// Recorded uses converted to monotonic time once, by host metadata key: the record and its time.
        var uses: [String: (record: String, at: Double)] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    package init() {}

    // MARK: - Names being worked on

    /// Names in flight: jobs and holds.
    package var busy: Set<String> { state.withLock { $0.jobs.union($0.holds) } }

    /// Marks `name` as worked on by the caller; false when a job or another holder has it.
    package func hold(_ name: String) -> Bool {
        state.withLock { state in
            guard !state.jobs.contains(name), !state.holds.contains(name) else { return false }
            state.holds.insert(name)
            return true
        }
    }

    /// Ends the caller's hold on `name`.
    package func release(_ name: String) {
        _ = state.withLock { $0.holds.remove(name) }
    }

    /// A reconciler job begins on `name`; `creating` names the template of a preload being made.
    package func begin(job name: String, creating template: String?) {
        state.withLock { state in
            state.jobs.insert(name)
            if let template { state.creating[template, default: 0] += 1 }
        }
    }

    /// A job ends; a preload made successfully wakes the requests waiting for one of its template.
    package func end(job name: String, creating template: String?, at now: Double, succeeded: Bool) {
        let woken = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.jobs.remove(name)
            guard let template else { return [] }
            state.creating[template, default: 1] -= 1
            if state.creating[template] == 0 { state.creating[template] = nil }
            if succeeded {
                state.completed[template, default: []].append(Completion(name: name, at: now))
                state.completed[template] = state.completed[template].map { Array($0.suffix(8)) }
            }
            let ids = state.waiters.filter { $0.value.template == template }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in woken { continuation.resume(returning: succeeded ? name : nil) }
    }

    /// Preloads of each template being made now.
    package var creating: [String: Int] { state.withLock { $0.creating } }

    /// The next preload of `template` to take: one finished at or after `since` and not in `tried`, else the next
    /// one to finish, waited for until `deadline` (monotonic); nil when none is being made, or none came in time.
    package func nextCreated(
        of template: String, since: Double, excluding tried: Set<String>, until deadline: Double, clock: any HostClock
    ) async -> String? {
        while true {
            enum Look { case found(String), none, wait }
            let look = state.withLock { state -> Look in
                if let done = state.completed[template]?.first(where: { $0.at >= since && !tried.contains($0.name) }) {
                    return .found(done.name)
                }
                return (state.creating[template] ?? 0) > 0 ? .wait : .none
            }
            switch look {
            case .found(let name): return name
            case .none: return nil
            case .wait: break
            }
            guard clock.now() < deadline else { return nil }
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            let timer = Task { [weak self] in
                try? await clock.sleep(until: deadline)
                self?.wake(id, with: nil)
            }
            let name = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                    let registered = state.withLock { state -> Bool in
                        guard (state.creating[template] ?? 0) > 0, !Task.isCancelled else { return false }
                        state.waiters[id] = Waiter(template: template, continuation: continuation)
                        return true
                    }
                    if !registered { continuation.resume(returning: nil) }
                }
            } onCancel: {
                self.wake(id, with: nil)
            }
            timer.cancel()
            if let name, !tried.contains(name) { return name }
            if Task.isCancelled || clock.now() >= deadline { return nil }
        }
    }

    private func wake(_ id: Int, with name: String?) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: name)
    }

    // MARK: - Views and hand-outs

    /// Keeps `view` as the newest unless a newer one is kept already; forgets hand-outs it shows.
    package func publish(_ view: HostView) {
        state.withLock { state in
            guard view.at >= state.lastView?.at ?? -.infinity else { return }
            state.lastView = view
            state.handedOut = state.handedOut.filter { $0.value >= view.at }
            for (template, done) in state.completed {
                state.completed[template] = done.filter { $0.at >= view.at }
            }
        }
    }

    package var lastView: HostView? { state.withLock { $0.lastView } }

    /// The newest view with what must not be taken from it (names in flight, hand-outs since), read at once.
    package func viewForHandOut() -> (view: HostView, unavailable: Set<String>)? {
        state.withLock { state in
            guard let view = state.lastView else { return nil }
            return (view, Self.unavailable(state, since: view.at))
        }
    }

    /// What must not be taken from a view taken at `takenAt`: names in flight, and names handed out since.
    package func unavailable(since takenAt: Double) -> Set<String> {
        state.withLock { Self.unavailable($0, since: takenAt) }
    }

    private static func unavailable(_ state: State, since takenAt: Double) -> Set<String> {
        state.jobs.union(state.holds).union(state.handedOut.filter { $0.value >= takenAt }.keys)
    }

    /// `name` was handed out at `now`: views taken before never offer it again.
    package func handedOut(_ name: String, at now: Double) {
        state.withLock { $0.handedOut[name] = now }
    }

    /// Runs the rest of a hand-out (its `used` record) after the answer; the hold on `name` ends once it is done.
    package func finishInBackground(_ name: String, _ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let task = Task {
                await work()
                self.release(name)
                self.state.withLock { _ = $0.recording.removeValue(forKey: name) }
            }
            state.recording[name] = task
        }
    }

    /// Waits until `name`'s hand-out has written its record (at once when none is pending).
    package func recorded(_ name: String) async {
        let task = state.withLock { $0.recording[name] }
        await task?.value
    }

    /// Waits for every hand-out still writing its record.
    package func settle() async {
        while let task = state.withLock({ $0.recording.values.first }) {
            await task.value
        }
    }

    // MARK: - Record times

    /// The wall-clock time to record now: never earlier than a stamp given before or a record seen on the host, so
    /// that a wall-clock step back cannot put a new preload ahead of older ones in a queue.
    package func stamp(_ clock: any HostClock) -> Double {
        state.withLock { state in
            let stamp = Swift.max(clock.wallNow(), state.stampFloor.nextUp)
            state.stampFloor = stamp
            return stamp
        }
    }

    /// Raises the floor of ``stamp(_:)`` to the newest creation time `snapshot` records.
    package func observe(_ snapshot: HostSnapshot) {
        let newest = snapshot.domains.compactMap { $0.metadata[MetadataKey.created].flatMap(Double.init) }.max() ?? 0
        state.withLock { $0.stampFloor = Swift.max($0.stampFloor, newest) }
    }

    /// The monotonic time of the use recorded under `key` as `record` (wall-clock seconds): converted the first
    /// time it is seen and kept, so that a later wall-clock step does not move it.
    package func useTime(key: String, record: String, clock: any HostClock) -> Double? {
        state.withLock { state in
            if let known = state.uses[key], known.record == record { return known.at }
            guard let wall = Double(record) else { return nil }
            let at = clock.monotonic(ofWall: wall)
            state.uses[key] = (record, at)
            return at
        }
    }

    /// Remembers the monotonic time of a use this process records (exact, no conversion).
    package func noteUse(key: String, record: String, at now: Double) {
        state.withLock { $0.uses[key] = (record, now) }
    }
}
