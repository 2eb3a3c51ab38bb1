import DispoEngine
import DispoHost

/// Prints one line on stderr per action as it completes, with its time.
final class ProgressPrinter: Sendable {
    private let start: Double

    init(start: Double) {
        self.start = start
    }

    func handle(_ event: ReconcileEvent) {
        switch event {
        case .planned, .started:
            break
        case .adopted(let name):
            StandardError.write("  ~ \(name): unpaused outside dispo; now a used disposable")
        case .finished(let action, let name, let seconds, let note):
            let extra = note.map { " (\($0))" } ?? ""
            StandardError.write("  \(Self.symbol(action)) \(Self.describe(action, name)) in \(format(seconds))\(extra)")
        case .failed(let action, let name, let seconds, let error):
            StandardError.write(
                "  ! \(Self.describe(action, name ?? "(new)")) failed after \(format(seconds)): \(error.description)")
        }
    }

    static func symbol(_ action: Action) -> String {
        switch action.op {
        case .create, .start: return "+"
        case .destroy, .stop: return "-"
        case .restart: return "~"
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
