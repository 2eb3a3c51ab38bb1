import DispoEngine
import Foundation
import DispoHost
import Logging
import Synchronization

/// Counts finished and failed jobs, logs every reconciler event with the object and action in metadata, records
/// actions and hand-outs in the daemon's metrics, and tells the ``EventLog`` (`GET /v1/events`).
final class Activity: Sendable {
    private let totals = Mutex((finished: 0, failed: 0))
    /// What `GET /metrics` serves.
    let metrics: DispoMetrics
    let events = EventLog()
    /// The logger hand-outs go to: the one given here, else the one reconciler events come with.
    private let logger: Mutex<Logger?>

    init(metrics: DispoMetrics = DispoMetrics(), logger: Logger? = nil) {
        self.metrics = metrics
        self.logger = Mutex(logger)
    }

    var counts: (finished: Int, failed: Int) { totals.withLock { $0 } }

    func record(_ event: ReconcileEvent, logger: Logger) {
        self.logger.withLock { if $0 == nil { $0 = logger } }
        switch event {
        case .planned:
            break
        case .suspensionIgnored(let reason):
            logger.warning("\(reason)")
            var event = ControllerEvent(.suspendIgnored)
            event.detail = reason
            events.append(event)
        case .started(let action, _) where action.op == .relabel:
            break
        case .finished(let action, let name, _, _) where action.op == .relabel:
            totals.withLock { $0.finished += 1 }
            metrics.recordAction(action.op.rawValue, ok: true)
            logger.notice("preload unpaused outside dispo; counted as used", metadata: ["object": "\(name)"])
            events.append(ControllerEvent(.adopted, object: name))
        case .started(let action, let name):
            logger.debug("started", metadata: Self.metadata(action, name))
            events.append(Self.event(.started, action, name))
        case .shrunk(let action, let name, let record):
            var metadata = Self.metadata(action, name)
            for (key, value) in Self.fields(record) { metadata[key] = value }
            logger.info("memory shrunk", metadata: metadata)
            var event = Self.event(.shrunk, action, name)
            event.shrink = record
            event.seconds = record.seconds
            events.append(event)
        case .finished(let action, let name, let seconds, let note):
            totals.withLock { $0.finished += 1 }
            metrics.recordAction(action.op.rawValue, ok: true)
            var metadata = Self.metadata(action, name)
            metadata["seconds"] = .stringConvertible(Self.rounded(seconds))
            if let note { metadata["note"] = "\(note)" }
            logger.info("done", metadata: metadata)
            var event = Self.event(.done, action, name)
            event.seconds = Self.rounded(seconds)
            event.detail = note
            events.append(event)
        case .failed(let action, let name, let seconds, let error):
            totals.withLock { $0.failed += 1 }
            metrics.recordAction(action.op.rawValue, ok: false)
            var metadata = Self.metadata(action, name ?? "(new)")
            metadata["seconds"] = .stringConvertible(Self.rounded(seconds))
            metadata["error"] = "\(error)"
            logger.error("failed", metadata: metadata)
            var event = Self.event(.failed, action, name)
            event.seconds = Self.rounded(seconds)
            event.error = error.description
            events.append(event)
        }
    }

    static func event(_ kind: ControllerEvent.Kind, _ action: Action, _ name: String?) -> ControllerEvent {
        var event = ControllerEvent(kind, object: name, template: action.template)
        event.action = action.op.rawValue
        event.role = action.role.rawValue
        event.reason = action.reason.rawValue
        return event
    }

    /// Seconds to the millisecond.
    static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    /// A disposable was handed out: records `dispo_request_seconds` and logs it.
    func handedOut(_ handout: Handout) {
        metrics.recordRequest(handout)
        logger.withLock { $0 }?.info("handed out", metadata: [
            "object": "\(handout.name)", "template": "\(handout.template)",
            "preloaded": .stringConvertible(handout.preloaded), "seconds": .stringConvertible(Self.rounded(handout.seconds)),
        ])
        var event = ControllerEvent(.handedOut, object: handout.name, template: handout.template)
        event.preloaded = handout.preloaded
        event.seconds = Self.rounded(handout.seconds)
        events.append(event)
    }

    /// An unnamed disposable was released: logged as hand-outs are, and an event.
    func released(_ name: String, seconds: Double) {
        logger.withLock { $0 }?.info("released", metadata: [
            "object": "\(name)", "seconds": .stringConvertible(Self.rounded(seconds)),
        ])
        var event = ControllerEvent(.released, object: name)
        event.seconds = Self.rounded(seconds)
        events.append(event)
    }

    /// The log fields of a shrink: `result`, `before_kib`, `after_kib`, `seconds`, and `target_kib` and
    /// `reported_use_kib` when known; numbers stay numbers in JSON logs.
    static func fields(_ record: ShrinkRecord) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "result": "\(record.result.rawValue)", "before_kib": .stringConvertible(record.beforeKiB),
            "after_kib": .stringConvertible(record.afterKiB), "seconds": .stringConvertible(record.seconds),
        ]
        if let target = record.targetKiB { fields["target_kib"] = .stringConvertible(target) }
        if let used = record.reportedUseKiB { fields["reported_use_kib"] = .stringConvertible(used) }
        return fields
    }

    static func metadata(_ action: Action, _ name: String) -> Logger.Metadata {
        [
            "object": "\(name)", "template": "\(action.template)", "action": "\(action.op.rawValue)",
            "role": "\(action.role.rawValue)", "reason": "\(action.reason.rawValue)",
        ]
    }
}

/// RFC 3339 timestamps in UTC.
package enum ISOTime {
    package static func format(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
