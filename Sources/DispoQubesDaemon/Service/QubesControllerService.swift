public import DispoDaemon
public import DispoQubes
public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs the ``QubesController`` as a service: follows qubesd's `admin.Events` (reconnecting when qubesd goes
/// away; a reconnect wakes a pass, since events may have been missed), turns SIGHUP into a rescan, and on graceful
/// shutdown stops the controller after the pass in progress.
public struct QubesControllerService: Service {
    let controller: QubesController
    let client: AdminClient
    let logger: Logger
    let onStop: @Sendable () -> Void

    /// - Parameter onStop: called when the controller has stopped (e.g. to stop the config source's watcher).
    public init(
        controller: QubesController, client: AdminClient, logger: Logger, onStop: @escaping @Sendable () -> Void = {}
    ) {
        self.controller = controller
        self.client = client
        self.logger = logger
        self.onStop = onStop
    }

    public func run() async {
        let controller = self.controller
        let follower = QubesEventFollower(client: client, logger: logger) { event in
            guard controller.isRelevant(event) else { return }
            controller.trigger(.host)
        } reconnected: {
            controller.trigger(.host)
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await follower.run() }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { controller.trigger(.rescan) }
                }
                await controller.run()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await controller.stop() }
        }
        onStop()
    }
}

/// Follows `admin.Events` of the whole system until cancelled, handing each event on; when the stream ends or
/// cannot be opened it tries again after a back-off (1 s doubling to 30 s), and says when it is back.
struct QubesEventFollower: Sendable {
    let client: AdminClient
    let logger: Logger
    let onEvent: @Sendable (AdminEvent) -> Void
    let reconnected: @Sendable () -> Void

    init(
        client: AdminClient, logger: Logger, onEvent: @escaping @Sendable (AdminEvent) -> Void,
        reconnected: @escaping @Sendable () -> Void
    ) {
        self.client = client
        self.logger = logger
        self.onEvent = onEvent
        self.reconnected = reconnected
    }

    func run() async {
        var delay = 1.0
        var connections = 0
        var lost = false
        while !Task.isCancelled {
            do {
                for try await event in client.events() {
                    if event.name == "connection-established" {
                        connections += 1
                        delay = 1
                        if connections > 1 {
                            logger.notice("following qubesd's events again")
                            reconnected()
                        } else {
                            logger.debug("following qubesd's events")
                        }
                        lost = false
                        continue
                    }
                    onEvent(event)
                }
                if Task.isCancelled { return }
                if !lost { logger.warning("qubesd ended the event stream; reconnecting") }
            } catch {
                if Task.isCancelled { return }
                if !lost {
                    logger.warning("cannot follow qubesd's events; retrying", metadata: ["error": "\(error)"])
                }
            }
            lost = true
            do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return }
            delay = min(delay * 2, 30)
        }
    }
}
