import Dispatch
import DispoConfig
import DispoDaemon
import DispoEngine
import Synchronization

/// A ``ConfigSource`` on YAML text the test edits; an edit cues, as the file watcher would. A test can hold the
/// next load at its start (after it read the text), to see what goes on while a slow load runs.
final class MemorySource: ConfigSource {
    private struct State {
        var text: String
        var begun = 0
        var ended = 0
        var held: LoadGate?
    }

    private let state: Mutex<State>
    private let cues: AsyncStream<ConfigCue>
    private let cue: AsyncStream<ConfigCue>.Continuation

    init(_ text: String) {
        state = Mutex(State(text: text))
        (cues, cue) = AsyncStream.makeStream(of: ConfigCue.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The text the next load reads; setting it does not cue (see ``edit(_:)``).
    var text: String {
        get { state.withLock { $0.text } }
        set { state.withLock { $0.text = newValue } }
    }

    /// Loads begun and ended so far.
    var loads: (begun: Int, ended: Int) { state.withLock { ($0.begun, $0.ended) } }

    /// Changes the text and cues.
    func edit(_ text: String) {
        self.text = text
        cue.yield(ConfigCue(detail: "edited"))
    }

    /// Makes the next load block its thread (as a big directory's parse would) until the gate opens.
    func holdNextLoad() -> LoadGate {
        let gate = LoadGate()
        state.withLock { $0.held = gate }
        return gate
    }

    func load() async -> ConfigLoad {
        let (text, gate) = state.withLock { state in
            state.begun += 1
            defer { state.held = nil }
            return (state.text, state.held)
        }
        gate?.pass()
        let load = ConfigLoad(ConfigLoader(strictModes: false).load(sources: [("dispo.yaml", Array(text.utf8))]))
        state.withLock { $0.ended += 1 }
        return load
    }

    func changes() -> AsyncStream<ConfigCue> { cues }
    func status() async -> SourceStatus? { nil }
}

/// Holds one load until the test opens it, and tells the test when the load reached it.
final class LoadGate: Sendable {
    /// How long a held load waits at most: only so that a broken controller fails the test instead of hanging it.
    static let limit = DispatchTimeInterval.seconds(30)
    private let opened = DispatchSemaphore(value: 0)
    private let reached: AsyncStream<Void>
    private let reach: AsyncStream<Void>.Continuation

    init() {
        (reached, reach) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Returns once the held load is waiting at the gate (at once if it went through already).
    func waitUntilReached() async {
        for await _ in reached { return }
    }

    func open() {
        opened.signal()
    }

    /// Called by the load: says it arrived, then blocks the calling thread until opened.
    fileprivate func pass() {
        reach.yield()
        reach.finish()
        _ = opened.wait(timeout: .now() + Self.limit)
    }
}
