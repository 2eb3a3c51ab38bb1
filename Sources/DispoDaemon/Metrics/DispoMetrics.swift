import CoreMetrics
public import DispoEngine
public import Prometheus
import Synchronization

/// The daemon's metrics: swift-metrics objects on a Prometheus registry of its own, served on `GET /metrics`.
///
/// Nothing is bootstrapped globally (`MetricsSystem` is left alone), so every controller — and every test —
/// has its own registry. Names follow DESIGN.md: `dispo_preload_ready{template}`, `dispo_preload_target{template}`,
/// `dispo_request_seconds{source}`, `dispo_reconcile_seconds`, `dispo_actions_total{action,result}`,
/// `dispo_config_errors`; and `dispo_host_suspended` (1 while preloads are held for a host suspend).
package final class DispoMetrics: Sendable {
    /// Bucket bounds of `dispo_request_seconds`: 1 ms (a preload hand-out) to 60 s (a slow cold start).
    package static let requestBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
    ]
    /// Bucket bounds of `dispo_reconcile_seconds`: a stretch of work from 10 ms to 10 minutes.
    package static let reconcileBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    /// The registry `GET /metrics` renders.
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let state: Mutex<State>

    /// The swift-metrics objects (not Sendable themselves), only touched under the lock.
    private struct State {
        var ready: [String: CoreMetrics.Gauge] = [:]
        var target: [String: CoreMetrics.Gauge] = [:]
        var actions: [String: CoreMetrics.Counter] = [:]
        var requests: [String: CoreMetrics.Recorder]
        var reconcile: CoreMetrics.Recorder
        var configErrors: CoreMetrics.Gauge
        /// `dispo_host_suspended`: 1 while preloads are held for a host suspend, else 0.
        var suspended: CoreMetrics.Gauge
        /// `dispo_config_commit_info{commit}` (1 for the commit in force) and the commit it names.
        var commitInfo: (commit: String, gauge: CoreMetrics.Gauge)?
        /// `dispo_source_info{source,applied,fetched}` (1) and the labels it has.
        var sourceInfo: (labels: [String], gauge: CoreMetrics.Gauge)?
        /// `dispo_source_fetch_failures{source}`: fetches failed in a row.
        var sourceFailures: (name: String, gauge: CoreMetrics.Gauge)?
        /// The newest history entry already recorded in `dispo_reconcile_seconds`.
        var lastHistory: StatusReport.HistoryEntry?
    }

    /// - Parameter registry: where the metrics live; a fresh one by default.
    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [
            "dispo_request_seconds": Self.requestBuckets, "dispo_reconcile_seconds": Self.reconcileBuckets,
        ]
        self.factory = factory
        var requests: [String: CoreMetrics.Recorder] = [:]
        for source in ["preload", "cold"] {
            requests[source] = CoreMetrics.Recorder(
                label: "dispo_request_seconds", dimensions: [("source", source)], aggregate: true, factory: factory)
        }
        state = Mutex(
            State(
                requests: requests,
                reconcile: CoreMetrics.Recorder(
                    label: "dispo_reconcile_seconds", dimensions: [], aggregate: true,
                    factory: factory),
                configErrors: CoreMetrics.Gauge(label: "dispo_config_errors", dimensions: [], factory: factory),
                suspended: CoreMetrics.Gauge(label: "dispo_host_suspended", dimensions: [], factory: factory)))
    }

    /// Sets the preload gauges and the config error count from a status report, and records the reconcile
    /// history entries not seen before. Templates that left the config lose their series.
    package func update(from report: StatusReport) {
        let factory = self.factory
        updateQueues(report.templates.map { ($0.name, $0.preload.ready, $0.preload.max) }, configErrors: report.config.errors.count)
        state.withLock { state in
            state.suspended.record(report.suspend == nil ? 0 : 1)
            Self.updateSource(report.config, state: &state, factory: factory)
            let fresh = Self.unseen(report.history, after: state.lastHistory)
            for entry in fresh { state.reconcile.record(entry.seconds) }
            if let newest = report.history.last { state.lastHistory = newest }
        }
    }

    /// Sets `dispo_preload_ready` and `dispo_preload_target` per template (`max` is the target) and
    /// `dispo_config_errors`; templates not named lose their series. For a backend whose queues are not dispo's
    /// own (Qubes: qubesd's), from what it reports.
    package func updateQueues(_ templates: [(name: String, ready: Int, max: Int)], configErrors: Int) {
        let factory = self.factory
        state.withLock { state in
            let names = Set(templates.map(\.name))
            for gone in Set(state.ready.keys).subtracting(names) {
                state.ready.removeValue(forKey: gone)?.destroy()
                state.target.removeValue(forKey: gone)?.destroy()
            }
            for template in templates {
                let dimensions = [("template", template.name)]
                if state.ready[template.name] == nil {
                    state.ready[template.name] = CoreMetrics.Gauge(
                        label: "dispo_preload_ready",
                        dimensions: dimensions, factory: factory)
                    state.target[template.name] = CoreMetrics.Gauge(
                        label: "dispo_preload_target",
                        dimensions: dimensions, factory: factory)
                }
                state.ready[template.name]?.record(template.ready)
                state.target[template.name]?.record(template.max)
            }
            state.configErrors.record(configErrors)
        }
    }

    /// The info gauges of a git source: which commit is in force, which was applied and fetched, and the
    /// failed fetches in a row. A series whose labels changed is replaced, never left behind.
    private static func updateSource(
        _ config: StatusReport.ConfigPart, state: inout State, factory: PrometheusMetricsFactory
    ) {
        if state.commitInfo?.commit != config.commit {
            state.commitInfo?.gauge.destroy()
            state.commitInfo = config.commit.map { commit in
                let gauge = CoreMetrics.Gauge(label: "dispo_config_commit_info", dimensions: [("commit", commit)], factory: factory)
                gauge.record(1)
                return (commit, gauge)
            }
        }
        let source = config.source
        let labels = source.map { [$0.name, $0.applied ?? "", $0.fetched ?? ""] }
        if state.sourceInfo?.labels != labels {
            state.sourceInfo?.gauge.destroy()
            state.sourceInfo = labels.map { labels in
                let gauge = CoreMetrics.Gauge(
                    label: "dispo_source_info",
                    dimensions: [("source", labels[0]), ("applied", labels[1]), ("fetched", labels[2])], factory: factory)
                gauge.record(1)
                return (labels, gauge)
            }
        }
        if state.sourceFailures?.name != source?.name {
            state.sourceFailures?.gauge.destroy()
            state.sourceFailures = source.map { source in
                (source.name, CoreMetrics.Gauge(
                    label: "dispo_source_fetch_failures", dimensions: [("source", source.name)], factory: factory))
            }
        }
        if let source { state.sourceFailures?.gauge.record(source.failures) }
    }

    /// Records one hand-out in `dispo_request_seconds{source="preload"|"cold"}`.
    package func recordRequest(_ handout: Handout) {
        state.withLock { $0.requests[handout.preloaded ? "preload" : "cold"]?.record(handout.seconds) }
    }

    /// Counts a finished (`ok: true`) or failed action in `dispo_actions_total{action,result}`.
    package func recordAction(_ action: String, ok: Bool) {
        let result = ok ? "ok" : "error"
        let factory = self.factory
        state.withLock { state in
            let key = action + "/" + result
            if state.actions[key] == nil {
                state.actions[key] = CoreMetrics.Counter(
                    label: "dispo_actions_total",
                    dimensions: [("action", action), ("result", result)], factory: factory)
            }
            state.actions[key]?.increment()
        }
    }

    /// Records the length of one stretch of reconcile work in `dispo_reconcile_seconds`.
    package func recordReconcile(seconds: Double) {
        state.withLock { $0.reconcile.record(seconds) }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    package func exposition() -> String {
        registry.emitToString()
    }

    /// The entries after `last` (all of them when `last` is not among them any more, or was never set).
    static func unseen(
        _ history: [StatusReport.HistoryEntry], after last: StatusReport.HistoryEntry?
    )
        -> ArraySlice<StatusReport.HistoryEntry>
    {
        guard let last, let index = history.lastIndex(where: { same($0, last) }) else { return history[...] }
        return history[(index + 1)...]
    }

    private static func same(_ a: StatusReport.HistoryEntry, _ b: StatusReport.HistoryEntry) -> Bool {
        a.at == b.at && a.seconds == b.seconds && a.actions == b.actions && a.errors == b.errors
    }
}
