import Foundation

/// Watches a config directory with inotify and yields one `ConfigChange` per debounced burst of changes.
///
/// libinotifytools keeps global state and is not thread-safe, so all of it runs on one dedicated thread
/// (`dispo-watch`) that sleeps in `poll(2)` on the library's inotify descriptor and an eventfd that `stop()`
/// writes: an idle watcher costs no CPU and no wake-ups. One watcher per process uses inotify at a time; a
/// second one falls back to periodic ticks until the first stops (and says so in `problems`).
///
/// What is watched, re-established from scratch after every burst:
/// - the directory tree, recursively, following symlinked folders like the loader does and skipping the names
///   the loader skips (hidden entries such as `.git`, editor droppings `.#*`, `*~`, `*.swp`, `*.swx`, `4913`);
/// - the parent of the directory, for its own name (so a replaced or removed directory or a swapped symlink is
///   seen), and the folder holding each symlink on the way to it;
/// - when the directory does not exist, the nearest existing ancestor, for the next name on the path.
///
/// Nothing is lost while re-watching: the tick is yielded only after the new watches are in place, and the
/// consumer rescans after receiving it, so any change made before the watches existed is seen by that rescan
/// and any change after fires an event. Changes made between `changes()` and the first watches (a few
/// milliseconds on the thread) are not ticked: load the config after calling `changes()`, and keep a periodic
/// resync.
package final class ConfigWatcher: Sendable {
    private let directory: String
    private let debounce: Duration
    private let options: WatchOptions
    let control: WatchControl

    /// Problems that made the watcher fall back to periodic ticks (inotify watch or instance limits, permission
    /// errors, another watcher in this process), each once when it appears; keeps the newest 16 unread. Finishes
    /// with `stop()`. Messages are single lines that say what to do.
    package let problems: AsyncStream<String>

    /// Watches `directory` (which may not exist yet, may be a symlink) recursively.
    package convenience init(directory: String, debounce: Duration = .milliseconds(200)) {
        self.init(directory: directory, debounce: debounce, options: WatchOptions())
    }

    init(directory: String, debounce: Duration, options: WatchOptions) {
        self.directory = Paths.absolute(directory)
        self.debounce = max(debounce, .zero)
        self.options = options
        let (problems, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        self.problems = problems
        control = WatchControl(problemSink: sink)
    }

    /// The problem in force now, `nil` while every watch is set.
    package var lastProblem: String? { control.lastProblem }

    /// One value per debounced burst of changes, yielded after the watches were re-established, so a rescan
    /// done after receiving it sees every change up to that point. Finishes when `stop()` is called.
    /// Call once; the watcher thread starts on the first call.
    ///
    /// Unread values collapse into the newest (it covers the older ones). A second call, or a call after
    /// `stop()`, returns a finished stream. Cancelling the consuming task stops the watcher.
    package func changes() -> AsyncStream<ConfigChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConfigChange.self, bufferingPolicy: .bufferingNewest(1))
        let control = control
        guard let wake = control.start(continuation) else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { _ in control.stop() }
        let loop = WatchLoop.Configuration(directory: directory, debounce: debounce, options: options, wake: wake)
        let thread = Thread {
            // Process-wide signals (SIGCHLD of every child, SIGHUP, SIGTERM) go to other threads: this one wakes
            // only for its descriptors.
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            WatchLoop(loop, control: control).run()
            control.threadDidExit()
        }
        thread.name = "dispo-watch"
        thread.stackSize = 1 << 20
        thread.start()
        return stream
    }

    /// Stops the thread (within about a second) and finishes the stream.
    ///
    /// The stream finishes at once; the thread wakes from `poll` immediately and exits within milliseconds.
    package func stop() {
        control.stop()
    }
}
