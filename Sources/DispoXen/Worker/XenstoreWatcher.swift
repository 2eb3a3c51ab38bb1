import CXenLight
import DispoHost
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// xenstore watches on a dedicated thread (`dispo-xs-watch`) with its own connection: it sleeps in `poll` on the
/// connection's watch descriptor and an eventfd, and calls each subscriber's handler (on that thread; keep it
/// short, e.g. yield to a stream) when a path it subscribed to changes.
///
/// A path watched by several subscribers is watched once. xenstored fires every new watch once at once, so a
/// subscriber always gets a first call soon after subscribing. A path whose watch cannot be set (an invalid
/// path) still gets that first call, so the subscriber checks and reports the problem itself.
final class XenstoreWatcher: Sendable {
    typealias Handler = @Sendable (_ path: String) -> Void

    private struct Subscription {
        var paths: [String]
        var handler: Handler
    }

    private struct State {
        var subscriptions: [Int: Subscription] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    private let control: PollThreadControl

    /// Opens the connection and starts the thread; throws ``HostError/Code/unavailable`` without xenstored.
    init() throws(HostError) {
        let store = try Xenstore()
        control = try PollThreadControl(for: "xenstore watches")
        let loop = WatchLoop(store: store, control: control, watcher: self)
        let thread = Thread { loop.run() }
        thread.name = "dispo-xs-watch"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Calls `handler` whenever something at or under one of `paths` changes (or a special path such as
    /// `@releaseDomain` fires), until ``unsubscribe(_:)``. Returns the subscription's id.
    func subscribe(_ paths: [String], handler: @escaping Handler) -> Int {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            state.subscriptions[state.nextID] = Subscription(paths: paths, handler: handler)
            return state.nextID
        }
        control.wake()
        return id
    }

    func unsubscribe(_ id: Int) {
        state.withLock { _ = $0.subscriptions.removeValue(forKey: id) }
        control.wake()
    }

    /// Ends the thread (it closes its connection).
    func stop() {
        control.stop()
    }

    deinit {
        stop()
    }

    // MARK: - For the thread

    /// Every path some subscriber wants watched.
    fileprivate var wantedPaths: Set<String> {
        state.withLock { Set($0.subscriptions.values.flatMap(\.paths)) }
    }

    fileprivate func handlers(for path: String) -> [Handler] {
        state.withLock { $0.subscriptions.values.filter { $0.paths.contains(path) }.map(\.handler) }
    }
}

/// The body of the watch thread; holds the thread's connection. The watcher is held weakly, so dropping the
/// last reference to it stops the thread.
private final class WatchLoop: @unchecked Sendable {
    // @unchecked: `store` and `watched` are touched only by the watch thread, after `init` hands them over.
    private let store: Xenstore
    private let control: PollThreadControl
    private weak var watcher: XenstoreWatcher?
    private var watched = Set<String>()

    init(store: Xenstore, control: PollThreadControl, watcher: XenstoreWatcher) {
        self.store = store
        self.control = control
        self.watcher = watcher
    }

    func run() {
        _ = dispo_xen_name_thread("dispo-xs-watch")
        let descriptor = store.descriptor
        while let watcher, !control.isStopped {
            update(watcher)
            var descriptors = [
                pollfd(fd: control.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno != EINTR { usleep(100_000) }  // never spin on an unexpected error
                continue
            }
            if descriptors[0].revents != 0 { control.drain() }
            while let event = store.nextWatchEvent() {
                for handler in watcher.handlers(for: event.token) { handler(event.path) }
            }
        }
        for path in watched { store.unwatch(path, token: path) }
        control.threadDidExit()
    }

    /// Sets and clears watches to match the subscriptions.
    private func update(_ watcher: XenstoreWatcher) {
        let wanted = watcher.wantedPaths
        for path in watched.subtracting(wanted) {
            store.unwatch(path, token: path)
            watched.remove(path)
        }
        for path in wanted.subtracting(watched) {
            do throws(HostError) {
                try store.watch(path, token: path)
                watched.insert(path)
            } catch {
                for handler in watcher.handlers(for: path) { handler(path) }
            }
        }
    }
}
