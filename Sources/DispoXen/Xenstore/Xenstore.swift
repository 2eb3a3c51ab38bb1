import CXenLight
import DispoHost

#if canImport(Glibc)
    import Glibc
#endif

/// A connection to xenstored (`xs_open`). Not `Sendable`: each thread that talks to xenstore opens its own.
final class Xenstore {
    typealias Transaction = xs_transaction_t

    private let handle: OpaquePointer

    /// Opens a connection; throws ``HostError/Code/unavailable`` when xenstored cannot be reached.
    init() throws(HostError) {
        guard let handle = xs_open(0) else {
            throw HostError(
                .unavailable,
                "cannot connect to xenstore (xs_open failed: \(Self.describe(errno))); is xenstored running in dom0?")
        }
        self.handle = handle
    }

    deinit {
        xs_close(handle)
    }

    static var none: Transaction { dispo_xbt_null() }

    /// The value at `path`; nil when it does not exist.
    func read(_ path: String, in transaction: Transaction = none) throws(HostError) -> String? {
        var length: UInt32 = 0
        guard let raw = xs_read(handle, transaction, path, &length) else {
            if errno == ENOENT { return nil }
            throw failure("xs_read", path)
        }
        defer { free(raw) }
        let bytes = UnsafeRawBufferPointer(start: raw, count: Int(length))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The children of `path`; empty when it does not exist.
    func directory(_ path: String, in transaction: Transaction = none) throws(HostError) -> [String] {
        var count: UInt32 = 0
        guard let list = xs_directory(handle, transaction, path, &count) else {
            if errno == ENOENT { return [] }
            throw failure("xs_directory", path)
        }
        defer { free(list) }  // one allocation holds the array and the strings
        return (0..<Int(count)).compactMap { list[$0].map { String(cString: $0) } }
    }

    func write(_ path: String, _ value: String, in transaction: Transaction = none) throws(HostError) {
        let ok = value.utf8CString.withUnsafeBufferPointer { buffer in
            xs_write(handle, transaction, path, buffer.baseAddress, UInt32(buffer.count - 1))
        }
        guard ok else { throw failure("xs_write", path) }
    }

    /// Creates `path` (and its parents) if missing.
    func makeDirectory(_ path: String, in transaction: Transaction = none) throws(HostError) {
        guard xs_mkdir(handle, transaction, path) else { throw failure("xs_mkdir", path) }
    }

    /// Removes `path` and everything under it; nothing to do when it does not exist.
    func remove(_ path: String, in transaction: Transaction = none) throws(HostError) {
        guard xs_rm(handle, transaction, path) || errno == ENOENT else { throw failure("xs_rm", path) }
    }

    /// Sets the permissions of `path` to `n0`: owned by dom0, no access for any other domain.
    func restrictToDom0(_ path: String, in transaction: Transaction = none) throws(HostError) {
        var permissions = xs_permissions(id: 0, perms: UInt32(XS_PERM_NONE))
        guard xs_set_permissions(handle, transaction, path, &permissions, 1) else {
            throw failure("xs_set_permissions", path)
        }
    }

    /// Makes `domid` the owner of `path` (it may read and write it; no other domain but dom0 may): for a node in
    /// a guest's own tree that the guest is to write, such as its meminfo report.
    func grant(_ path: String, toDomain domid: UInt32, in transaction: Transaction = none) throws(HostError) {
        var permissions = xs_permissions(id: domid, perms: UInt32(XS_PERM_NONE))
        guard xs_set_permissions(handle, transaction, path, &permissions, 1) else {
            throw failure("xs_set_permissions", path)
        }
    }

    /// Runs `body` in a transaction, starting over while xenstored reports a conflict (EAGAIN); a throwing
    /// body aborts the transaction.
    func transaction<Value>(_ body: (Transaction) throws(HostError) -> Value) throws(HostError) -> Value {
        for _ in 0..<Self.maximumAttempts {
            let transaction = xs_transaction_start(handle)
            guard transaction != Self.none else { throw failure("xs_transaction_start", "/") }
            let value: Value
            do {
                value = try body(transaction)
            } catch {
                _ = xs_transaction_end(handle, transaction, true)
                throw error
            }
            if xs_transaction_end(handle, transaction, false) { return value }
            guard errno == EAGAIN else { throw failure("xs_transaction_end", "/") }
        }
        throw HostError(
            .operationFailed, "xenstore transaction conflicted \(Self.maximumAttempts) times in a row; try again")
    }

    static let maximumAttempts = 100

    // MARK: - Watches

    /// Watches `path` (and everything under it); xenstored fires the watch once at once, then on every change.
    func watch(_ path: String, token: String) throws(HostError) {
        guard xs_watch(handle, path, token) else { throw failure("xs_watch", path) }
    }

    func unwatch(_ path: String, token: String) {
        _ = xs_unwatch(handle, path, token)
    }

    /// The descriptor that becomes readable when watch events are queued.
    var descriptor: Int32 { xs_fileno(handle) }

    /// The next queued watch event (path that changed, token), without blocking; nil when none is queued.
    func nextWatchEvent() -> (path: String, token: String)? {
        guard let vector = xs_check_watch(handle) else { return nil }
        defer { free(vector) }
        guard let path = vector[Int(XS_WATCH_PATH.rawValue)], let token = vector[Int(XS_WATCH_TOKEN.rawValue)] else {
            return nil
        }
        return (String(cString: path), String(cString: token))
    }

    // MARK: - Errors

    private func failure(_ call: String, _ path: String) -> HostError {
        let code = errno
        let what = code == EACCES ? " (permission denied: dispo must run as root in dom0)" : ""
        return HostError(.operationFailed, "\(call) \(path) failed: \(Self.describe(code))\(what)")
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
