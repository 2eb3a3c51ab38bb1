/// What the controller has told the service manager, so that it says `READY=1` exactly when due: once after the
/// first pass was planned and started, and once after each rescan (SIGHUP) that followed a `RELOADING=1`; in
/// between only a changed `STATUS=` line.
package struct ServiceAnnouncer: Sendable {
    let notifier: ServiceNotifier
    private var readySent = false
    private var rescanPending = false
    private var lastLine: String?

    package init(notifier: ServiceNotifier) {
        self.notifier = notifier
    }

    /// A rescan began (its `RELOADING=1` went out when it was asked for): the pass that ends it says `READY=1`.
    package mutating func rescanBegan() {
        rescanPending = true
    }

    /// A pass was planned and its runnable actions started (or there is no config in force to plan with).
    package mutating func passDone(status line: @autoclosure () -> String) {
        guard notifier.isEnabled else { return }
        let line = line()
        if !readySent || rescanPending {
            notifier.send(.ready(status: line))
            readySent = true
            rescanPending = false
        } else if line != lastLine {
            notifier.send(.status(line))
        }
        lastLine = line
    }

    package func stopping(_ line: String) {
        notifier.send(.stopping(status: line))
    }
}
