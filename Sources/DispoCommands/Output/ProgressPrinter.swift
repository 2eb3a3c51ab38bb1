import DispoEngine
import DispoHost
import Synchronization

/// Prints one line on stderr per action as it completes, with its time, and knows what is in flight.
final class ProgressPrinter: Sendable {
    private let start: Double
    private let running = Mutex<[String: String]>([:])

    init(start: Double) {
        self.start = start
    }

    /// The actions started and not finished yet, e.g. `create preload disp12 of default-dvm`, sorted.
    var inFlight: [String] { running.withLock { $0.values.sorted() } }

    func handle(_ event: ReconcileEvent) {
        switch event {
        case .started(let action, let name):
            running.withLock { $0[Self.key(action, name)] = "\(action.op.rawValue) \(action.role.rawValue) \(name)" }
        case .finished(let action, let name, _, _), .failed(let action, let name?, _, _):
            running.withLock { _ = $0.removeValue(forKey: Self.key(action, name)) }
        default:
            break
        }
        switch event {
        case .planned, .started, .shrunk:
            break  // a shrink is told in its creation's line (the note)
        case .suspensionIgnored(let reason):
            StandardError.write("dispo: warning: \(reason)")
        case .finished(let action, let name, _, _) where action.op == .relabel:
            StandardError.write("  ~ \(name): unpaused outside dispo; now a used disposable")
        case .finished(let action, let name, let seconds, let note):
            let extra = note.map { " (\($0))" } ?? ""
            StandardError.write("  \(Self.symbol(action)) \(Self.describe(action, name)) in \(format(seconds))\(extra)")
        case .failed(let action, let name, let seconds, let error):
            StandardError.write(
                "  ! \(Self.describe(action, name ?? "(new)")) failed after \(format(seconds)): \(error.description)")
        }
    }

    private static func key(_ action: Action, _ name: String) -> String { "\(action.op.rawValue) \(name)" }

    static func symbol(_ action: Action) -> String {
        switch action.op {
        case .create, .start: return "+"
        case .destroy, .stop: return "-"
        case .restart, .relabel: return "~"
        }
    }

    static func describe(_ action: Action, _ name: String) -> String {
        switch (action.op, action.role) {
        case (.create, .preload): return "preload \(name) of \(action.template) ready and paused [\(action.reason.rawValue)]"
        case (.start, _): return "started \(name) [\(action.reason.rawValue)]"
        case (.stop, _): return "stopped \(name) [\(action.reason.rawValue)]"
        case (.restart, _): return "restarted \(name) [\(action.reason.rawValue)]"
        default: return "destroyed \(action.role.rawValue) \(name) of \(action.template) [\(action.reason.rawValue)]"
        }
    }
}
