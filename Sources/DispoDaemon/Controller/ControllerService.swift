public import DispoHost
public import ServiceLifecycle
import UnixSignals

/// Runs the ``Controller`` as a service: feeds it config changes, host events and SIGHUP, and on graceful
/// shutdown stops it and lets its jobs drain.
public struct ControllerService: Service {
    let controller: Controller
    let configChanges: AsyncStream<Void>
    let hostEvents: AsyncStream<HostEvent>
    let onStop: @Sendable () -> Void

    /// - Parameters:
    ///   - configChanges: one element per (debounced) change of the config directory.
    ///   - onStop: called when the controller has stopped (e.g. to stop the file watcher).
    public init(
        controller: Controller, configChanges: AsyncStream<Void>, hostEvents: AsyncStream<HostEvent>,
        onStop: @escaping @Sendable () -> Void = {}
    ) {
        self.controller = controller
        self.configChanges = configChanges
        self.hostEvents = hostEvents
        self.onStop = onStop
    }

    public func run() async {
        let controller = self.controller
        let configChanges = self.configChanges
        let hostEvents = self.hostEvents
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in configChanges { controller.trigger(.configChanged) } }
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
