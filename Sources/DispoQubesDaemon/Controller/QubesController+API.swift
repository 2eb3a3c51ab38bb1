import DispoConfig
public import DispoDaemon
public import DispoEngine
import DispoQubes
import Foundation
import Logging

/// The socket API on Qubes: the routes of the Xen controller, each mapped to qubesd. `POST /v1/disposables` is
/// `admin.vm.CreateDisposable` (qubesd hands out from its own queue; the reply is the Xen JSON), `DELETE` kills an
/// unnamed DispVM, `GET /v1/status` and `/v1/plan` are what `status --json` and `diff --json` print on Qubes.
extension QubesController: ControllerAPI {
    /// Hands out a disposable from the config in force. Goes on while a pass runs: the pass never touches
    /// qubesd's preloads or disposables in use.
    public func request(target: String?, source: String?) async throws(RequestError) -> Handout {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        guard let desired else {
            throw RequestError(.unavailable, "no valid config is in force yet; fix the config (dispo status shows why)")
        }
        let handout: Handout
        do {
            handout = try await QubesRequester(client: client).request(target, source: source, desired: desired)
        } catch {
            throw RequestError(request: error)
        }
        metrics.recordRequest(handout)
        logger.info(
            "handed out",
            metadata: [
                "object": "\(handout.name)", "template": "\(handout.template)",
                "preloaded": .stringConvertible(handout.preloaded), "seconds": .stringConvertible(handout.seconds),
            ])
        var event = ControllerEvent(.handedOut, object: handout.name, template: handout.template)
        event.preloaded = handout.preloaded
        event.seconds = (handout.seconds * 1000).rounded() / 1000
        log.append(event)
        return handout
    }

    /// Refused (501): qubesd removes its preloads before a host suspend and refills after it by itself
    /// (`internal.SuspendPre` / `internal.SuspendPost`).
    public func suspendHost(timeout: Double) async throws(RequestError) -> SuspendReport {
        throw RequestError(.notSupported, Self.suspendIsQubesd)
    }

    /// Refused (501), as ``suspendHost(timeout:)``.
    public func resumeHost() async throws(RequestError) -> ResumeReport {
        throw RequestError(.notSupported, Self.suspendIsQubesd)
    }

    static let suspendIsQubesd =
        "on Qubes, qubesd itself removes the preloads before a host suspend and refills them after it; nothing to do"

    /// Kills an unnamed DispVM (qubesd removes it); anything else is refused (409).
    public func release(_ name: String) async throws(RequestError) {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        let started = ContinuousClock.now
        do {
            try await QubesRequester(client: client).release(name)
        } catch {
            throw RequestError(release: error)
        }
        let seconds = Self.seconds(since: started)
        logger.info("released", metadata: ["object": "\(name)", "seconds": .stringConvertible(seconds)])
        var event = ControllerEvent(.released, object: name)
        event.seconds = (seconds * 1000).rounded() / 1000
        log.append(event)
    }

    /// qubesd read now, judged by the config in force, with the controller's history and config errors.
    package func statusDocument(
        servedBy source: StatusReport.SourcePart
    ) async throws(RequestError)
        -> any Encodable & Sendable
    {
        let report = try await status()
        var served = report
        served.source = source
        return served
    }

    /// The status as `GET /v1/status` serves it (without `source`).
    func status() async throws(RequestError) -> QubesStatus {
        let errors = configErrorLines
        let desired = self.desired ?? DesiredState()
        var report: QubesStatus
        do {
            report = try await QubesStatus.read(
                client: client, desired: desired, configErrors: errors, location: location)
        } catch {
            throw RequestError(read: error)
        }
        let (inForce, observed) = digests
        if let inForce { report.config.revision = inForce }
        report.config.observed = observed
        report.history = history
        return report
    }

    /// What `diff --json --host qubes` would print against the config in force (its report names no `source`).
    package func planDocument(servedBy _: StatusReport.SourcePart) async throws(RequestError) -> any Encodable & Sendable {
        guard let desired else {
            throw RequestError(.unavailable, "no valid config is in force yet; fix the config (dispo status shows why)")
        }
        do {
            let plan = try await QubesReconciler(client: client).plan(desired)
            return QubesDiffReport(plan, desired: desired)
        } catch {
            throw RequestError(read: error)
        }
    }

    /// The queue gauges from a fresh read of qubesd (its queues change without dispo).
    package func refreshMetrics() async {
        guard let report = try? await status() else { return }
        metrics.updateQueues(
            report.templates.map { ($0.name, $0.preload.ready, $0.preload.max) },
            configErrors: report.config.errors.count)
    }

    package nonisolated func events(since: Int?) -> AsyncStream<ControllerEvent> {
        log.subscribe(since: since)
    }

    package nonisolated func events(
        after since: Int, waiting timeout: Duration
    ) async
        -> (events: [ControllerEvent], last: Int)
    {
        let events = await log.events(after: since, waiting: timeout)
        return (events, events.last?.seq ?? log.last)
    }
}
