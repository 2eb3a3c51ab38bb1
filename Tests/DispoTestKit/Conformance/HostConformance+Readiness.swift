import DispoConfig
import DispoHost

extension HostConformance {
    /// Waiting for a guest, and the event stream.
    static let readinessChecks: [Check] = [
        Check("wait-ready-after-boot") { run in
            let host = run.host
            let name = try await run.boot("ready")
            try run.expect(try await run.power(of: name) == .running, "a ready guest is not running")
            try await host.waitReady(name, readiness: run.spec.ready, timeout: .seconds(1))  // ready already
            try await host.pause(name)
            if let readiness = run.spec.ready {
                try await host.waitReady(name, readiness: readiness, timeout: .seconds(1))  // its key stays written
            }
            try await run.refused(.invalidState, "waitReady of a paused domain without a readiness key") {
                try await host.waitReady(name, readiness: nil, timeout: .seconds(1))
            }
        },
        Check("wait-ready-times-out") { run in
            let host = run.host
            let (name, _) = try await run.create("silent")
            try await host.unpause(name)
            let readiness = try await run.conformance.neverReady(host, name)
            try await run.refused(.timeout, "waitReady of a guest that never signals") {
                try await host.waitReady(name, readiness: readiness, timeout: .seconds(2))
            }
            try run.expect(try await run.power(of: name) == .running, "a timed-out wait changed the domain")
        },
        Check("events-cue-unpause-and-shutdown") { run in
            let host = run.host
            let (name, _) = try await run.create("events")
            let recorder = EventRecorder(host.events())
            defer { recorder.stop() }
            // Once any event came, the stream has had its first look at the host.
            try await host.updateMetadata(name, ["conformance-probe": "1"])
            try await cue(after: 0, "the metadata change", recorder, run) { _ in true }

            try await settle(recorder, run)
            var mark = recorder.mark
            try await host.unpause(name)
            try await cue(after: mark, "unpause", recorder, run) { $0 == .unpaused(name) }

            try await host.waitReady(name, readiness: run.spec.ready, timeout: run.conformance.bootTimeout)
            try await settle(recorder, run)
            mark = recorder.mark
            try await host.shutdown(name)
            try await cue(after: mark, "shutdown", recorder, run) { $0 == .shutdown(name) }
        },
    ]

    /// With ``EventCues/changed(quiet:)``, waits until the stream is quiet, so that the next cue is the next change's.
    private static func settle(_ recorder: EventRecorder, _ run: ConformanceRun) async throws {
        guard case .changed(let quiet) = run.conformance.events else { return }
        try await recorder.settle(quiet: quiet, patience: run.conformance.patience)
    }

    /// Waits for the cue of `what` after `mark`: an event matching `named`, or with ``EventCues/changed(quiet:)``
    /// any event.
    private static func cue(
        after mark: Int, _ what: String, _ recorder: EventRecorder, _ run: ConformanceRun,
        named: @escaping @Sendable (HostEvent) -> Bool
    ) async throws {
        let matches: @Sendable (HostEvent) -> Bool
        switch run.conformance.events {
        case .named: matches = named
        case .changed: matches = { _ in true }
        }
        let patience = run.conformance.patience
        guard await recorder.first(after: mark, within: patience, where: matches) != nil else {
            throw ConformanceFailure(
                "no event for \(what) within \(patience); the stream gave \(recorder.events(after: mark))")
        }
    }
}
