public import DispoHost
public import ServiceLifecycle
import UnixSignals

/// Runs the ``Controller`` as a service: feeds it host events and SIGHUP (a rescan; the controller follows its
/// config source's cues itself), and on graceful shutdown stops it and lets its jobs drain.
package struct ControllerService: Service {
    let controller: Controller
    let hostEvents: AsyncStream<HostEvent>
    let onStop: @Sendable () -> Void

    /// - Parameters:
    ///   - onStop: called when the controller has stopped (e.g. to stop the config source's watcher).
    package init(
        controller: Controller, hostEvents: AsyncStream<HostEvent>, onStop: @escaping @Sendable () -> Void = {}
    ) {
        self.controller = controller
        self.hostEvents = hostEvents
        self.onStop = onStop
    }

    package func run() async {
        let controller = self.controller
        let hostEvents = self.hostEvents
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in hostEvents { controller.trigger(.host) } }
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
