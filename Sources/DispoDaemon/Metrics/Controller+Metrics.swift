/// The metrics a controller records (actions, hand-outs) and `GET /metrics` serves.
extension Controller {
    /// This controller's metrics registry and recorders.
    package nonisolated var metrics: DispoMetrics { activity.metrics }
}
