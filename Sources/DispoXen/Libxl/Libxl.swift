import CXenLight
import DispoHost

#if canImport(Glibc)
    import Glibc
#endif

/// A libxl context (`libxl_ctx_alloc`) with its logger. Not `Sendable`: only the Xen worker thread uses it.
///
/// libxl owns SIGCHLD (it forks hotplug scripts): the context is set to
/// `libxl_sigchld_owner_libxl_always_selective_reap`, so libxl keeps its handler installed and reaps only its
/// own children. dispo must never trap SIGCHLD or reap children with `waitpid(-1)`.
final class Libxl {
    let context: OpaquePointer
    private let logger: UnsafeMutablePointer<dispo_xtl_logger>
    /// Must outlive the context (libxl keeps the pointer).
    private let hooks: UnsafeMutablePointer<libxl_childproc_hooks>

    /// Allocates a context; throws ``HostError/Code/unavailable`` (with libxl's own message) when it cannot,
    /// e.g. not in dom0, not root, or the Xen device files are missing.
    init(echoErrors: Bool = true) throws(HostError) {
        guard let logger = dispo_xtl_create(echoErrors ? XTL_ERROR : XTL_NUM_LEVELS) else {
            throw HostError(.unavailable, "cannot create the libxl logger (out of memory)")
        }
        var context: OpaquePointer?
        let rc = libxl_ctx_alloc(&context, dispo_libxl_version(), 0, dispo_xtl_base(logger))
        guard rc == 0, let context else {
            let detail = Self.takeLastError(logger)
            xtl_logger_destroy(dispo_xtl_base(logger))
            throw HostError(
                .unavailable,
                "cannot open libxenlight (libxl_ctx_alloc failed, rc \(rc))\(detail.isEmpty ? "" : ": " + detail); "
                    + "run dispo as root in a Xen dom0 with the xen modules loaded and /proc/xen mounted")
        }
        self.context = context
        self.logger = logger
        hooks = .allocate(capacity: 1)
        hooks.initialize(
            to: libxl_childproc_hooks(
                chldowner: libxl_sigchld_owner_libxl_always_selective_reap, fork_replacement: nil,
                reaped_callback: nil))
        libxl_childproc_setmode(context, hooks, nil)
    }

    deinit {
        libxl_ctx_free(context)
        xtl_logger_destroy(dispo_xtl_base(logger))
        hooks.deallocate()
    }

    // MARK: - Reading

    /// Every domain but dom0, with its name (domains without a name yet, mid-creation, are skipped).
    func domains() throws(HostError) -> [LiveDomain] {
        var count: Int32 = 0
        guard let list = libxl_list_domain(context, &count) else {
            throw failure("libxl_list_domain", rc: -3, domain: nil)
        }
        defer { libxl_dominfo_list_free(list, count) }
        var result: [LiveDomain] = []
        for index in 0..<Int(count) where list[index].domid != 0 {
            guard let name = name(of: list[index].domid) else { continue }
            result.append(Self.live(list[index], name: name))
        }
        return result
    }

    /// The name of `domid`; nil when it has none or does not exist.
    func name(of domid: UInt32) -> String? {
        guard let raw = libxl_domid_to_name(context, domid) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// The domid of the domain named `name`; nil when there is none.
    func domid(of name: String) -> UInt32? {
        var domid: UInt32 = 0
        guard libxl_name_to_domid(context, name, &domid) == 0 else { return nil }
        return domid
    }

    /// The domain `domid` now; nil when it does not exist.
    func domain(_ domid: UInt32) -> LiveDomain? {
        guard let name = name(of: domid) else { return nil }
        return domain(domid, named: name)
    }

    /// The domain `domid` now, named `name` without asking xenstore (the caller knows it); nil when it does not
    /// exist. One hypercall.
    func domain(_ domid: UInt32, named name: String) -> LiveDomain? {
        var info = libxl_dominfo()
        libxl_dominfo_init(&info)
        defer { libxl_dominfo_dispose(&info) }
        guard libxl_domain_info(context, &info, domid) == 0 else { return nil }
        return Self.live(info, name: name)
    }

    /// The power state of every domain but dom0, by domid (one `libxl_list_domain`, no xenstore reads): what the
    /// event stream polls to notice pauses and unpauses, which Xen signals to nobody.
    func powerStates() throws(HostError) -> [UInt32: PowerState] {
        var count: Int32 = 0
        guard let list = libxl_list_domain(context, &count) else {
            throw failure("libxl_list_domain", rc: -3, domain: nil)
        }
        defer { libxl_dominfo_list_free(list, count) }
        var states: [UInt32: PowerState] = [:]
        for index in 0..<Int(count) where list[index].domid != 0 {
            states[list[index].domid] = Self.flags(list[index]).power
        }
        return states
    }

    /// Memory no domain holds, in KiB.
    func freeMemoryKiB() throws(HostError) -> UInt64 {
        var kib: UInt64 = 0
        let rc = libxl_get_free_memory(context, &kib)
        guard rc == 0 else { throw failure("libxl_get_free_memory", rc: rc, domain: nil) }
        return kib
    }

    /// The host's memory, in KiB.
    func totalMemoryKiB() throws(HostError) -> UInt64 {
        var info = libxl_physinfo()
        libxl_physinfo_init(&info)
        defer { libxl_physinfo_dispose(&info) }
        let rc = libxl_get_physinfo(context, &info)
        guard rc == 0 else { throw failure("libxl_get_physinfo", rc: rc, domain: nil) }
        return info.total_pages * 4  // 4 KiB pages
    }

    /// What creating `config` takes from the host's free memory (target, overheads), in KiB.
    /// libxl fills in defaults in `config` while computing it: build a fresh config for the creation.
    func neededMemoryKiB(_ config: LibxlDomainConfig, name: String) throws(HostError) -> UInt64 {
        var kib: UInt64 = 0
        let rc = libxl_domain_need_memory(context, config.pointer, dispo_invalid_domid(), &kib)
        guard rc == 0 else { throw failure("libxl_domain_need_memory", rc: rc, domain: name) }
        return kib
    }

    // MARK: - Changing

    /// Creates the domain paused (libxl leaves a new domain paused) and returns its domid.
    func create(_ config: LibxlDomainConfig, name: String) throws(HostError) -> UInt32 {
        var domid = dispo_invalid_domid()
        let rc = libxl_domain_create_new(context, config.pointer, &domid, nil, nil)
        guard rc == 0 else {
            let error = failure("libxl_domain_create_new", rc: rc, domain: name)
            // A failed create may leave a half-made domain behind (ERROR_ABORTED and others): take it down.
            // libxl usually does so itself; only a domain that still bears this name is destroyed.
            if domid != dispo_invalid_domid(), domid != 0, self.name(of: domid) == name {
                _ = libxl_domain_destroy(context, domid, nil)
            }
            throw error
        }
        return domid
    }

    func unpause(_ domid: UInt32, name: String) throws(HostError) {
        try check(libxl_domain_unpause(context, domid, nil), "libxl_domain_unpause", name)
    }

    func pause(_ domid: UInt32, name: String) throws(HostError) {
        try check(libxl_domain_pause(context, domid, nil), "libxl_domain_pause", name)
    }

    /// Sets the balloon target, absolute, enforced.
    func setMemoryTarget(_ domid: UInt32, kibibytes: UInt64, name: String) throws(HostError) {
        let rc = libxl_set_memory_target(context, domid, Int64(clamping: kibibytes), 0, 1)
        try check(rc, "libxl_set_memory_target", name)
    }

    func shutdown(_ domid: UInt32, name: String) throws(HostError) {
        try check(libxl_domain_shutdown(context, domid, nil), "libxl_domain_shutdown", name)
    }

    func destroy(_ domid: UInt32, name: String) throws(HostError) {
        try check(libxl_domain_destroy(context, domid, nil), "libxl_domain_destroy", name)
    }

    // MARK: - Helpers

    private func check(_ rc: Int32, _ call: String, _ name: String) throws(HostError) {
        guard rc == 0 else { throw failure(call, rc: rc, domain: name) }
    }

    /// `<call> failed (rc N, ERROR_NAME): <libxl's last error message>`.
    private func failure(_ call: String, rc: Int32, domain: String?) -> HostError {
        let detail = Self.takeLastError(logger)
        let code = libxl_error_to_string(libxl_error(rawValue: rc)).map { String(cString: $0) } ?? "\(rc)"
        return HostError(
            .operationFailed, domain: domain,
            "\(call) failed (rc \(rc), \(code))" + (detail.isEmpty ? "" : ": " + detail))
    }

    private static func takeLastError(_ logger: UnsafeMutablePointer<dispo_xtl_logger>) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        dispo_xtl_take_last_error(logger, &buffer, buffer.count)
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func live(_ info: libxl_dominfo, name: String) -> LiveDomain {
        LiveDomain(
            name: name, uuid: uuidString(info.uuid), domid: info.domid, flags: flags(info),
            currentKiB: info.current_memkb, maxKiB: info.max_memkb)
    }

    static func flags(_ info: libxl_dominfo) -> DomainFlags {
        DomainFlags(
            running: info.running, blocked: info.blocked, paused: info.paused, shutdown: info.shutdown,
            dying: info.dying, crashed: info.shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH)
    }

    static func uuidString(_ uuid: libxl_uuid) -> String {
        var copy = uuid
        let bytes = withUnsafeBytes(of: &copy) { Array($0.prefix(16)) }
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
