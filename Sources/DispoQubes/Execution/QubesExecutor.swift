/// Runs Qubes plans: each change is one or a few Admin API calls, in plan order, one at a time (qubesd serialises
/// most of them anyway). Nothing is compare-and-set on Qubes; ownership is checked by the plan (dispo's tag, read
/// just before) and a qube is tagged right after qubesd created it.
public struct QubesExecutor: Sendable {
    public let client: AdminClient
    /// How long a removal waits for qubesd to discard a disposable template's preloads (it does so on its own
    /// after the max goes); a disposable still in use keeps it in use, and the removal then fails.
    public var removeWait: Duration

    public init(client: AdminClient, removeWait: Duration = .seconds(30)) {
        self.client = client
        self.removeWait = removeWait
    }

    /// What one run did.
    public struct Outcome: Sendable {
        public var changesRun = 0
        public var failures: [(change: QubesChange, error: QubesError)] = []
        public var passes = 0
        public var plan = QubesPlan()
        /// The last read, the one ``plan`` was made from.
        public var observed = QubesObservation()
        public var converged: Bool { failures.isEmpty && plan.runnable.isEmpty && plan.problems.isEmpty }
    }

    /// Runs the runnable changes of `plan` (pending ones are left), writing dispo's index before the first create
    /// and after the last removal. A failed change is reported; the changes of other qubes go on, later changes of
    /// the same qube are skipped.
    public func run(
        _ plan: QubesPlan, observedIndex: Set<String>, onChange: (QubesChange, QubesError?) -> Void = { _, _ in }
    ) async -> (ran: Int, failures: [(change: QubesChange, error: QubesError)])
    {
        var ran = 0
        var failures: [(change: QubesChange, error: QubesError)] = []
        var failed: Set<String> = []
        var index = observedIndex
        for change in plan.runnable where !failed.contains(change.qube) {
            do throws(QubesError) {
                if case .createAppVM = change.operation, !index.contains(change.qube) {
                    index.insert(change.qube)
                    try await writeIndex(index)
                } else if case .createDispVM = change.operation, !index.contains(change.qube) {
                    index.insert(change.qube)
                    try await writeIndex(index)
                }
                try await execute(change)
                ran += 1
                onChange(change, nil)
            } catch {
                failures.append((change, error))
                failed.insert(change.qube)
                onChange(change, error)
            }
        }
        // the index after the run: the plan's, plus what a failed removal left in place (`index` is what qubesd
        // holds now: the observed one, or the last written before a create)
        let final = plan.index.union(failures.filter { $0.change.operation == .remove }.map(\.change.qube))
        if final != index {
            do throws(QubesError) {
                try await writeIndex(final)
            } catch {
                failures.append((QubesChange(qube: "dom0", operation: .setFeature(QubesVocabulary.indexFeature,
                    value: final.sorted().joined(separator: " ")), role: .system, reason: "index",
                    detail: "dispo's index"), error))
            }
        }
        return (ran, failures)
    }

    private func writeIndex(_ index: Set<String>) async throws(QubesError) {
        if index.isEmpty {
            do {
                _ = try await client.call("admin.vm.feature.Remove", "dom0", argument: QubesVocabulary.indexFeature)
            } catch where error.exceptionType == "QubesFeatureNotFoundError" {}
        } else {
            _ = try await client.call("admin.vm.feature.Set", "dom0", argument: QubesVocabulary.indexFeature,
                payload: index.sorted().joined(separator: " "))
        }
    }

    /// One change as Admin API calls.
    func execute(_ change: QubesChange) async throws(QubesError) {
        let qube = change.qube
        switch change.operation {
        case .createAppVM(let template, let label):
            _ = try await client.call("admin.vm.Create.AppVM", "dom0", argument: template,
                payload: "name=\(qube) label=\(label)")
            _ = try await client.call("admin.vm.tag.Set", qube, argument: QubesVocabulary.ownerTag)
        case .createDispVM(let dvm, let label):
            _ = try await client.call("admin.vm.Create.DispVM", "dom0", argument: dvm,
                payload: "name=\(qube) label=\(label)")
            _ = try await client.call("admin.vm.tag.Set", qube, argument: QubesVocabulary.ownerTag)
        case .setProperty(let name, let value):
            _ = try await client.call("admin.vm.property.Set", qube, argument: name, payload: value)
        case .setGlobalProperty(let name, let value):
            _ = try await client.call("admin.property.Set", "dom0", argument: name, payload: value)
        case .setFeature(let name, let value):
            _ = try await client.call("admin.vm.feature.Set", qube, argument: name, payload: value)
        case .removeFeature(let name):
            do {
                _ = try await client.call("admin.vm.feature.Remove", qube, argument: name)
            } catch where error.exceptionType == "QubesFeatureNotFoundError" {}
        case .addTag(let tag):
            _ = try await client.call("admin.vm.tag.Set", qube, argument: tag)
        case .removeTag(let tag):
            do {
                _ = try await client.call("admin.vm.tag.Remove", qube, argument: tag)
            } catch where error.exceptionType == "QubesTagNotFoundError" {}
        case .start:
            try await start(qube)
        case .shutdown:
            try await shutdown(qube)
        case .restart(let revision):
            try await shutdown(qube)
            try await start(qube)
            _ = try await client.call("admin.vm.feature.Set", qube, argument: QubesVocabulary.revisionFeature,
                payload: revision)
        case .remove:
            do {
                _ = try await client.call("admin.vm.Kill", qube)
            } catch where error.exceptionType == "QubesVMNotStartedError" || error.exceptionType == "QubesVMNotRunningError" {}
            if change.role == .disposableTemplate {
                // qubesd discards the preloads when the max goes; a disposable template in use cannot be removed
                do {
                    _ = try await client.call("admin.vm.feature.Remove", qube, argument: QubesVocabulary.preloadMax)
                } catch where error.exceptionType == "QubesFeatureNotFoundError" {}
            }
            try await removeWhenFree(qube)
        }
    }

    /// `admin.vm.Remove`, again every 0.5 s while qubesd says the qube is in use, until ``removeWait``.
    private func removeWhenFree(_ qube: String) async throws(QubesError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: removeWait)
        while true {
            do {
                _ = try await client.call("admin.vm.Remove", qube)
                return
            } catch where error.exceptionType == "QubesVMInUseError" && clock.now < deadline {
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// `admin.vm.Start`; a qube already started (qubesd starts a netvm before its clients) is fine.
    private func start(_ qube: String) async throws(QubesError) {
        do {
            _ = try await client.call("admin.vm.Start", qube)
        } catch where error.exceptionType == "QubesVMNotHaltedError" {}
    }

    /// `admin.vm.Shutdown+force+wait`: qubesd returns once the qube is halted (or fails after its shutdown_timeout).
    private func shutdown(_ qube: String) async throws(QubesError) {
        do {
            _ = try await client.call("admin.vm.Shutdown", qube, argument: "force+wait")
        } catch where error.exceptionType == "QubesVMNotStartedError" {}
    }
}
