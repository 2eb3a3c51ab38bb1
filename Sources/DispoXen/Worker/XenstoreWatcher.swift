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
        var stopped = false
        var wake: Int32
    }

    private let state: Mutex<State>

    /// Opens the connection and starts the thread; throws ``HostError/Code/unavailable`` without xenstored.
    init() throws(HostError) {
        let store = try Xenstore()
        let wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wake >= 0 else {
            throw HostError(.unavailable, "cannot create an eventfd for xenstore watches: \(Xenstore.describe(errno))")
        }
        state = Mutex(State(wake: wake))
        let loop = WatchLoop(store: store, wake: wake, watcher: self)
        let thread = Thread { loop.run() }
        thread.name = "dispo-xs-watch"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Calls `handler` whenever something at or under one of `paths` changes (or a special path such as
    /// `@releaseDomain` fires), until ``unsubscribe(_:)``. Returns the subscription's id.
    func subscribe(_ paths: [String], handler: @escaping Handler) -> Int {
        state.withLock { state -> Int in
            state.nextID += 1
            state.subscriptions[state.nextID] = Subscription(paths: paths, handler: handler)
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
            return state.nextID
        }
    }

    func unsubscribe(_ id: Int) {
        state.withLock { state in
            state.subscriptions[id] = nil
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
        }
    }

    /// Ends the thread (it closes its connection).
    func stop() {
        state.withLock { state in
            state.stopped = true
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
        }
    }

    deinit {
        stop()
    }

    // MARK: - For the thread

    fileprivate var isStopped: Bool { state.withLock { $0.stopped } }

    /// Every path some subscriber wants watched.
    fileprivate var wantedPaths: Set<String> {
        state.withLock { Set($0.subscriptions.values.flatMap(\.paths)) }
    }

    fileprivate func handlers(for path: String) -> [Handler] {
        state.withLock { $0.subscriptions.values.filter { $0.paths.contains(path) }.map(\.handler) }
    }

    /// From here on nobody writes the eventfd (the thread closes it next).
    fileprivate func threadDidExit() {
        state.withLock { state in
            state.wake = -1
            state.stopped = true
        }
    }
}

/// The body of the watch thread; holds the thread's connection. The watcher is held weakly, so dropping the
/// last reference to it stops the thread.
private final class WatchLoop: @unchecked Sendable {
    // @unchecked: `store` and `watched` are touched only by the watch thread, after `init` hands them over.
    private let store: Xenstore
    private let wake: Int32
    private weak var watcher: XenstoreWatcher?
    private var watched = Set<String>()

    init(store: Xenstore, wake: Int32, watcher: XenstoreWatcher) {
        self.store = store
        self.wake = wake
        self.watcher = watcher
    }

    func run() {
        _ = dispo_xen_name_thread("dispo-xs-watch")
        let descriptor = store.descriptor
        while let watcher, !watcher.isStopped {
            update(watcher)
            var descriptors = [
                pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
                pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno != EINTR { usleep(100_000) }  // never spin on an unexpected error
                continue
            }
            if descriptors[0].revents != 0 {
                var value: eventfd_t = 0
                _ = eventfd_read(wake, &value)
            }
            while let event = store.nextWatchEvent() {
                for handler in watcher.handlers(for: event.token) { handler(event.path) }
            }
        }
        for path in watched { store.unwatch(path, token: path) }
        watcher?.threadDidExit()
        close(wake)
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
