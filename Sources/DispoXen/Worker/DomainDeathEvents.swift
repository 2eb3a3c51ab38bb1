import CXenLight
import DispoHost
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Domain shutdown and death events from libxl's event machinery (`libxl_evenable_domain_death`), on a dedicated
/// thread (`dispo-xen-events`) with its own libxl context. It follows the domains it is told about
/// (``follow(_:)``, from every snapshot) and calls each subscriber's handler (on that thread; keep it short)
/// for every event. A domain stops being followed when it dies or is no longer listed.
final class DomainDeathEvents: Sendable {
    typealias Handler = @Sendable (Libxl.DomainEvent) -> Void

    private struct State {
        var wanted: Set<UInt32> = []
        var subscribers: [Int: Handler] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    private let control: PollThreadControl

    /// Opens the thread's libxl context and starts it; throws ``HostError/Code/unavailable`` as ``Libxl`` does.
    init(echoErrors: Bool) throws(HostError) {
        let libxl = try Libxl(echoErrors: echoErrors)
        control = try PollThreadControl(for: "libxl events")
        let loop = DeathEventLoop(libxl: libxl, control: control, owner: self)
        let thread = Thread { loop.run() }
        thread.name = "dispo-xen-events"
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        stop()
    }

    /// Follows exactly `domids` from now on (new ones are enabled, ones no longer listed disabled).
    func follow(_ domids: Set<UInt32>) {
        let changed = state.withLock { state -> Bool in
            guard state.wanted != domids else { return false }
            state.wanted = domids
            return true
        }
        if changed { control.wake() }
    }

    func subscribe(_ handler: @escaping Handler) -> Int {
        state.withLock { state -> Int in
            state.nextID += 1
            state.subscribers[state.nextID] = handler
            return state.nextID
        }
    }

    func unsubscribe(_ id: Int) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
    }

    /// Ends the thread (it disables its events and frees its context).
    func stop() {
        control.stop()
    }

    // MARK: - For the thread

    fileprivate var wanted: Set<UInt32> { state.withLock { $0.wanted } }
    fileprivate var handlers: [Handler] { state.withLock { Array($0.subscribers.values) } }
}

/// The body of the event thread; holds its libxl context. The owner is held weakly, so dropping the last
/// reference to it stops the thread.
private final class DeathEventLoop: @unchecked Sendable {
    // @unchecked: `libxl` and `enabled` are touched only by the event thread, after `init` hands them over.
    private let libxl: Libxl
    private let control: PollThreadControl
    private weak var owner: DomainDeathEvents?
    private var enabled: [UInt32: OpaquePointer] = [:]
    /// Domains that died while still listed: never enabled again (a dead domid would report its death at once).
    private var dead: Set<UInt32> = []

    init(libxl: Libxl, control: PollThreadControl, owner: DomainDeathEvents) {
        self.libxl = libxl
        self.control = control
        self.owner = owner
    }

    func run() {
        _ = dispo_xen_name_thread("dispo-xen-events")
        while let owner, !control.isStopped {
            update(owner.wanted)
            let events = libxl.waitForEvents(wake: control)
            guard !events.isEmpty else { continue }
            for event in events where event.kind == .death {
                if let handle = enabled.removeValue(forKey: event.domid) { libxl.disableDeathEvents(handle) }
                dead.insert(event.domid)
            }
            let handlers = owner.handlers
            for event in events { for handler in handlers { handler(event) } }
        }
        for handle in enabled.values { libxl.disableDeathEvents(handle) }
        enabled = [:]
        control.threadDidExit()
    }

    /// Enables and disables events to match `wanted`.
    private func update(_ wanted: Set<UInt32>) {
        for (domid, handle) in enabled where !wanted.contains(domid) {
            libxl.disableDeathEvents(handle)
            enabled[domid] = nil
        }
        dead.formIntersection(wanted)
        for domid in wanted where enabled[domid] == nil && !dead.contains(domid) {
            if let handle = libxl.enableDeathEvents(domid) { enabled[domid] = handle }
        }
    }
}
