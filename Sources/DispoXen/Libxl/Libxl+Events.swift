import CXenLight

#if canImport(Glibc)
    import Glibc
#endif

/// libxl's own event machinery: domain death events (`libxl_evenable_domain_death`), delivered through the
/// application-driven poll loop (`libxl_osevent_beforepoll` / `poll` / `libxl_osevent_afterpoll` /
/// `libxl_event_check`). Used only by the thread of ``DomainDeathEvents``, which owns this context.
extension Libxl {
    /// A domain event as libxl reports it.
    struct DomainEvent: Sendable, Hashable {
        enum Kind: Sendable, Hashable { case shutdown, death, other }
        var kind: Kind
        var domid: UInt32
    }

    /// Asks for `DOMAIN_SHUTDOWN` and `DOMAIN_DEATH` events of `domid`; the handle to disable them, nil when libxl
    /// refused (e.g. the domain is already gone).
    func enableDeathEvents(_ domid: UInt32) -> OpaquePointer? {
        var handle: OpaquePointer?
        guard libxl_evenable_domain_death(context, domid, UInt64(domid), &handle) == 0 else { return nil }
        return handle
    }

    func disableDeathEvents(_ handle: OpaquePointer) {
        libxl_evdisable_domain_death(context, handle)
    }

    /// Sleeps in `poll` on libxl's descriptors and `wake`'s eventfd until something happens, lets libxl process
    /// it, and returns the events it generated.
    func waitForEvents(wake: PollThreadControl) -> [DomainEvent] {
        var descriptors = [pollfd](repeating: pollfd(), count: 16)
        var count: Int32 = 0
        var timeout: Int32 = -1
        var now = timeval()
        while true {
            gettimeofday(&now, nil)
            count = Int32(descriptors.count - 1)
            timeout = -1
            let rc = libxl_osevent_beforepoll(context, &count, &descriptors, &timeout, now)
            if rc == ERROR_BUFFERFULL.rawValue {
                descriptors = [pollfd](repeating: pollfd(), count: Int(count) + 16)
                continue
            }
            guard rc == 0 else {
                usleep(100_000)  // never spin on an unexpected error
                return []
            }
            break
        }
        descriptors[Int(count)] = pollfd(fd: wake.descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptors, nfds_t(count + 1), timeout)
        if ready < 0, errno != EINTR { usleep(100_000) }
        if descriptors[Int(count)].revents != 0 { wake.drain() }
        gettimeofday(&now, nil)
        libxl_osevent_afterpoll(context, count, descriptors, now)
        var events: [DomainEvent] = []
        var event: UnsafeMutablePointer<libxl_event>?
        while libxl_event_check(context, &event, UInt64.max, nil, nil) == 0, let current = event {
            let kind: DomainEvent.Kind =
                switch current.pointee.type {
                case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN: .shutdown
                case LIBXL_EVENT_TYPE_DOMAIN_DEATH: .death
                default: .other
                }
            events.append(DomainEvent(kind: kind, domid: current.pointee.domid))
            libxl_event_free(context, current)
            event = nil
        }
        return events
    }
}
