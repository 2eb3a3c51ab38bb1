#if canImport(Glibc)
    public import Glibc
#endif

/// Who answers on a socket: what `GET /v1/ping` serves, so that a command given `--host`, `-c` or `--socket`
/// can tell whether the daemon there is the one it means.
public struct DaemonIdentity: Sendable, Codable, Equatable {
    public var ok = true
    public var pid: Int32
    /// The host the controller keeps (`sim:/abs/host.json`, `xen`).
    public var host: String
    /// The config directory it applies, absolute.
    public var config: String
    public var socket: String

    public init(pid: Int32 = getpid(), host: String, config: String, socket: String) {
        self.pid = pid
        self.host = host
        self.config = config
        self.socket = socket
    }
}
