import CXenLight
import Dispatch
import DispoHost
import Foundation
import Synchronization

/// What the worker thread owns: the libxl context and a xenstore connection. Used only on that thread.
final class XenSession {
    let libxl: Libxl
    let metadata: MetadataStore

    init(libxl: Libxl, metadata: MetadataStore) {
        self.libxl = libxl
        self.metadata = metadata
    }
}

/// One dedicated thread that owns a ``XenSession`` and runs jobs on it one at a time, in order.
///
/// Every blocking libxl and xenstore call of ``XenHost`` (except watches) runs on one of these (`dispo-xen` for
/// everything but hand-outs, `dispo-xen-handout` for those), never on Swift's cooperative pool; callers await
/// the result through a continuation.
final class XenWorker: Sendable {
    private let jobs = JobQueue()

    /// Starts the thread `name`, which opens the session with `open`; throws what `open` throws (the thread then
    /// ends).
    init(name: String, open: @escaping @Sendable () throws(HostError) -> XenSession) throws(HostError) {
        let jobs = self.jobs
        let thread = Thread {
            _ = dispo_xen_name_thread(name)
            let session: XenSession
            do throws(HostError) {
                session = try open()
            } catch {
                jobs.started(failing: error)
                return
            }
            jobs.started(failing: nil)
            jobs.serve(session)
        }
        thread.name = name
        thread.start()
        if let error = jobs.waitUntilStarted() { throw error }
    }

    deinit {
        jobs.stop()
    }

    /// Runs `body` on the worker thread and returns its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable (XenSession) throws(HostError) -> Value)
        async throws(HostError) -> Value
    {
        let jobs = self.jobs
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, HostError>, Never>) in
            let accepted = jobs.enqueue { session in
                continuation.resume(returning: Result { () throws(HostError) -> Value in try body(session) })
            }
            if !accepted {
                continuation.resume(returning: .failure(HostError(.unavailable, "the Xen backend was shut down")))
            }
        }
        return try result.get()
    }

    /// Lets the thread finish the queued jobs, then free the session and end.
    func stop() {
        jobs.stop()
    }
}

/// The worker's jobs, its start outcome and its stop flag, behind one `Mutex`; a semaphore counts wake-ups.
private final class JobQueue: Sendable {
    typealias Job = @Sendable (XenSession) -> Void

    private struct State {
        var jobs: [Job] = []
        var head = 0
        var stopped = false
        var startError: HostError?
    }

    private let state = Mutex(State())
    private let pending = DispatchSemaphore(value: 0)
    private let startup = DispatchSemaphore(value: 0)

    func started(failing error: HostError?) {
        state.withLock {
            $0.startError = error
            if error != nil { $0.stopped = true }
        }
        startup.signal()
    }

    func waitUntilStarted() -> HostError? {
        startup.wait()
        return state.withLock { $0.startError }
    }

    func enqueue(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { pending.signal() }
        return accepted
    }

    func stop() {
        state.withLock { $0.stopped = true }
        pending.signal()
    }

    /// Runs jobs until stopped and drained; the session is released when this returns.
    func serve(_ session: XenSession) {
        while true {
            pending.wait()
            while let job = next() { job(session) }
            if state.withLock({ $0.stopped && $0.head == $0.jobs.count }) { return }
        }
    }

    private func next() -> Job? {
        state.withLock { state -> Job? in
            guard state.head < state.jobs.count else {
                state.jobs.removeAll(keepingCapacity: true)
                state.head = 0
                return nil
            }
            defer { state.head += 1 }
            return state.jobs[state.head]
        }
    }
}

/// Runs a blocking closure on a fresh thread (file copies, stat calls), so it never occupies the cooperative pool
/// nor the worker.
func offload<Value: Sendable>(_ name: String, _ body: @escaping @Sendable () throws(HostError) -> Value)
    async throws(HostError) -> Value
{
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, HostError>, Never>) in
        let thread = Thread {
            _ = dispo_xen_name_thread(name)
            continuation.resume(returning: Result { () throws(HostError) -> Value in try body() })
        }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
