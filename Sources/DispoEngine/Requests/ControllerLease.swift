#if canImport(Glibc)
    import Glibc
#endif
import DispoHost

/// The running controller owns the preload queues: it writes its process id to the host-wide metadata
/// (`controller`) when it starts and removes it when it stops. While it holds the queues it hands preloads out
/// without a durable claim (its own holds keep two of its requests apart), so no other process may take them.
package enum ControllerLease {
    /// The lease value for this process.
    package static var mine: String { String(getpid()) }

    /// The process id of a live controller other than this process that holds the lease in `metadata`; nil when
    /// nobody holds it, this process does, or the holder is gone (a crash leaves a stale lease behind).
    ///
    /// A holder counts as live when the process exists and its name (`/proc/PID/comm`) says dispo, so a pid
    /// reused by another program after a crash does not keep the queues locked.
    package static func liveHolder(in metadata: [String: String]) -> Int32? {
        guard let value = metadata[HostMetadataKey.controller], let pid = Int32(value), pid > 0, pid != getpid()
        else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        guard let name = processName(pid) else { return pid }
        return name.contains("dispo") ? pid : nil
    }

    private static func processName(_ pid: Int32) -> String? {
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
