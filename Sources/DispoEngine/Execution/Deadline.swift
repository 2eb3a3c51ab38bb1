import DispoHost
import Synchronization

/// Waiting for tasks with a bound.
enum Deadline {
    /// Returns once every task in `tasks` has finished or `seconds` of `clock` have passed, whichever is first;
    /// true when they all finished. The tasks themselves are not cancelled.
    @discardableResult
    static func wait(for tasks: [Task<Void, Never>], atMost seconds: Double, clock: any HostClock) async -> Bool {
        if tasks.isEmpty { return true }
        let resumed = Mutex(false)
        let timer = Mutex<Task<Void, Never>?>(nil)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let finish: @Sendable (Bool) -> Void = { done in
                let first = resumed.withLock { was in
                    defer { was = true }
                    return !was
                }
                guard first else { return }
                if done { timer.withLock { $0?.cancel() } }
                continuation.resume(returning: done)
            }
            timer.withLock { slot in
                slot = Task {
                    do { try await clock.sleep(seconds: seconds) } catch { return }
                    finish(false)
                }
            }
            Task {
                for task in tasks { await task.value }
                finish(true)
            }
        }
    }
}
