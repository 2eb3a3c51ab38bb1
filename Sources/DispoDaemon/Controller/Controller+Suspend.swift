import DispoConfig
public import DispoEngine
import DispoHost
import Logging

/// A host suspend through the running controller (`POST /v1/host/suspend`, `POST /v1/host/resume`): the queues are
/// held at 0 while the host sleeps, then refill. Requests go on meanwhile: with no preload they start cold.
extension Controller {
    /// Removes every preload (paused ones and ones still starting) and holds the refill; returns once they are
    /// gone, or after `timeout` seconds with those left named. The hold survives a restart (it is in the host
    /// metadata) until ``resumeHost()``, or until it no longer counts (``HostSuspension``).
    public func suspendHost(timeout: Double) async throws(RequestError) -> SuspendReport {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        let outcome: SuspendOutcome
        do {
            outcome = try await reconciler.holdForSuspend(desired ?? .init(), within: timeout)
        } catch {
            throw RequestError(error)
        }
        var metadata: Logger.Metadata = [
            "removed": .stringConvertible(outcome.removed),
            "seconds": .stringConvertible(Activity.rounded(outcome.seconds)),
        ]
        if !outcome.left.isEmpty { metadata["left"] = "\(outcome.left.joined(separator: ","))" }
        if outcome.left.isEmpty {
            logger.notice("preloads removed for a host suspend; refill held until dispo sleep post", metadata: metadata)
        } else {
            logger.error("host suspend: preloads left when the time ran out", metadata: metadata)
        }
        var event = ControllerEvent(.hostSuspended)
        event.actions = outcome.removed
        event.seconds = Activity.rounded(outcome.seconds)
        if !outcome.left.isEmpty { event.detail = "left: " + outcome.left.joined(separator: " ") }
        activity.events.append(event)
        trigger(.suspend)
        return SuspendReport(outcome, via: "controller")
    }

    /// Ends the hold: the queues refill in the usual slow start. Returns at once.
    public func resumeHost() async throws(RequestError) -> ResumeReport {
        guard !isStopping else { throw RequestError(.shuttingDown, "dispo is shutting down; try again shortly") }
        let resumed: (wasSuspended: Bool, record: HostSuspension?)
        do {
            resumed = try await reconciler.resumeAfterSuspend()
        } catch {
            throw RequestError(error)
        }
        let report = ResumeReport(
            resumed.record, wasSuspended: resumed.wasSuspended, clock: clock, refilling: true,
            via: "controller")
        if resumed.wasSuspended {
            logger.notice(
                "host resumed; preloads refill",
                metadata: report.heldSeconds.map { ["held_seconds": .stringConvertible($0)] } ?? [:])
        } else {
            logger.info("host resumed; no preloads were held")
        }
        var event = ControllerEvent(.hostResumed)
        event.seconds = report.heldSeconds
        activity.events.append(event)
        trigger(.suspend)
        return report
    }
}
