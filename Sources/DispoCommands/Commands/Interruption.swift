import ArgumentParser
import DispoHost
import Foundation
import Synchronization
import UnixSignals

/// Ctrl-C (or SIGTERM) during `apply`: says what was interrupted and that the next run repairs it, then exits 130.
///
/// Nothing is rolled back on the spot: every stage of a domain is in its record before it is taken, so the next
/// `apply` or `watch` removes a half-made preload and finishes the rest (`dispo diff` shows how).
enum Interruption {
    static func run<Value: Sendable>(
        progress: ProgressPrinter, _ body: @escaping @Sendable () async throws(HostError) -> Value
    ) async throws -> Value {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let interrupted = Interrupted()
        // The group ends once every job has seen the cancellation (a cancelled job removes what it half-made).
        let outcome = await withTaskGroup(of: Result<Value, HostError>?.self) { group in
            group.addTask { await Result { () async throws(HostError) in try await body() } }
            group.addTask {
                for await _ in signals {
                    interrupted.record(progress.inFlight)
                    return nil
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome, interrupted.actions == nil else {
            let running = interrupted.actions ?? []
            let what =
                running.isEmpty
                ? "no action was in flight"
                : "\(plural(running.count, "action")) in flight (\(running.joined(separator: ", "))) "
                    + (running.count == 1 ? "was" : "were") + " stopped"
            StandardError.write(
                "dispo: interrupted; \(what). Nothing is left that dispo cannot repair: the next dispo apply "
                    + "(or dispo watch) removes whatever is still half-made and finishes the rest; dispo diff shows it")
            throw ExitCode(130)
        }
        do {
            return try outcome.get()
        } catch {
            throw failure(error.description)
        }
    }
}

/// What was in flight when the signal came (nil: no signal).
private final class Interrupted: Sendable {
    private let state = Mutex<[String]?>(nil)

    func record(_ actions: [String]) { state.withLock { $0 = actions } }
    var actions: [String]? { state.withLock { $0 } }
}

extension Result where Failure == HostError {
    init(_ body: () async throws(HostError) -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
