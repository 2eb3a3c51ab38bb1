public import DispoEngine

/// What the socket API (``APIRouter``) asks of a controller: the Xen ``Controller`` and the Qubes one each answer
/// it, so both serve one router. A backend without an operation throws ``RequestError/Code/notSupported`` (501,
/// with a message saying why), never a crash.
package protocol ControllerAPI: Sendable {
    /// True once a graceful stop began: every route then answers 503.
    var isStopping: Bool { get }
    /// What `GET /metrics` renders.
    var metrics: DispoMetrics { get }
    /// `POST /v1/disposables`.
    func request(target: String?, source: String?) async throws(RequestError) -> Handout
    /// `DELETE /v1/disposables/NAME`.
    func release(_ name: String) async throws(RequestError)
    /// `GET /v1/status`: what `dispo status --json` prints for this backend, with `source` naming the controller.
    func statusDocument(servedBy source: StatusReport.SourcePart) async throws(RequestError) -> any Encodable & Sendable
    /// `GET /v1/plan`: what `dispo diff --json` prints for this backend, with `source` naming the controller (where
    /// the backend's report has one).
    func planDocument(servedBy source: StatusReport.SourcePart) async throws(RequestError) -> any Encodable & Sendable
    /// `POST /v1/host/suspend`: removes every preload and holds the refill until ``resumeHost()``, returning once
    /// they are gone or `timeout` seconds passed.
    func suspendHost(timeout: Double) async throws(RequestError) -> SuspendReport
    /// `POST /v1/host/resume`: ends the hold; the queues refill.
    func resumeHost() async throws(RequestError) -> ResumeReport
    /// Brings the gauges up to date just before `GET /metrics` renders them.
    func refreshMetrics() async
    /// What the controller does from now on (and the kept events after `since`): `GET /v1/events`.
    func events(since: Int?) -> AsyncStream<ControllerEvent>
    /// The kept events after `since`, waiting up to `timeout` for one, and the number of the newest event.
    func events(after since: Int, waiting timeout: Duration) async -> (events: [ControllerEvent], last: Int)
}

extension Controller: ControllerAPI {
    package func statusDocument(
        servedBy source: StatusReport.SourcePart
    ) async throws(RequestError)
        -> any Encodable & Sendable
    {
        do {
            var report = try await status()
            report.source = source
            return report
        } catch {
            throw RequestError(error)
        }
    }

    package func planDocument(servedBy source: StatusReport.SourcePart) async throws(RequestError)
        -> any Encodable & Sendable
    {
        do {
            return try await livePlan(servedBy: source)
        } catch {
            throw RequestError(error)
        }
    }

    package func refreshMetrics() async {
        if let report = try? await status() { metrics.update(from: report) }
    }
}
