package import DispoConfig
package import DispoEngine
package import DispoHost

/// The plan a one-shot `dispo diff` shows, beside whatever holds the host, so that work in flight is never called
/// interrupted:
///
/// - beside the controller that keeps the host, its own plan (`GET /v1/plan`) when the config planned is its
///   config in force; otherwise (or when asked for another plan than the controller's, `--restart`) that config
///   planned here, with the controller's work in flight left alone;
/// - beside a holder whose API does not answer (or that has none, `dispo apply`), the config planned here with
///   every half-made domain taken as the holder's work;
/// - with nothing holding the host, the config planned here alone.
///
/// Each report's `source` says which, and `in_flight` lists what was left alone.
package enum ControllerPlan {
    /// Beside the controller on `socket`; `ownPlan`: its own plan will do when it plans the same config. Throws the transport's error or an ``APIClient/Refusal`` when the
    /// controller does not answer with a plan saying its config and work (one of an older dispo), and a
    /// ``HostError`` when the host cannot be read.
    package static func beside(
        controller socket: String, _ desired: DesiredState, reconciler: Reconciler, ownPlan: Bool = true
    ) async throws -> DiffReport {
        let served = try await APIClient.plan(socket: socket)
        guard let inForce = served.source?.inForce, let work = served.inFlight else {
            throw APIClient.Refusal(
                status: 200, message: "the controller on \(socket) does not say its config and its work in flight "
                    + "(a dispo older than this one)")
        }
        let revision = Digest.config(desired)
        if ownPlan, inForce == revision { return served }
        let before = HolderWork.known(work)
        let (plan, left) = try await reconciler.plan(desired, beside: before) {
            guard let later = try? await APIClient.plan(socket: socket), let entries = later.inFlight else {
                return before
            }
            return .known(entries)
        }
        let source = DiffReport.SourcePart(
            kind: "beside-controller", revision: revision, inForce: inForce, pid: served.source?.pid,
            socket: served.source?.socket ?? socket)
        return DiffReport(plan, source: source, inFlight: left)
    }

    /// Beside a holder of the host (pid `pid`, when known) that serves no API answering: every half-made domain is
    /// taken as its work.
    package static func beside(
        holder pid: Int32?, _ desired: DesiredState, reconciler: Reconciler
    ) async throws(HostError) -> DiffReport {
        let (plan, left) = try await reconciler.plan(desired, beside: .halfMade) { .halfMade }
        let source = DiffReport.SourcePart(kind: "beside-holder", revision: Digest.config(desired), pid: pid)
        return DiffReport(plan, source: source, inFlight: left)
    }

    /// Nothing else holds the host: the plan of `desired` alone, as `apply` would make it.
    package static func alone(_ desired: DesiredState, reconciler: Reconciler) async throws(HostError) -> DiffReport {
        let plan = try await reconciler.plan(desired)
        return DiffReport(plan, source: DiffReport.SourcePart(kind: "host", revision: Digest.config(desired)), inFlight: [])
    }
}
