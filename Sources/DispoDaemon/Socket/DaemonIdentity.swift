#if canImport(Glibc)
    public import Glibc
#endif

/// Who answers on a socket: what `GET /v1/ping` serves, so that a command given `--host`, `-c` or `--socket`
/// can tell whether the daemon there is the one it means.
package struct DaemonIdentity: Sendable, Codable, Equatable {
    package var ok = true
    package var pid: Int32
    /// The host the controller keeps (`sim:/abs/host.json`, `xen`).
    package var host: String
    /// The config directory it applies, absolute.
    package var config: String
    package var socket: String

    package init(pid: Int32 = getpid(), host: String, config: String, socket: String) {
        self.pid = pid
        self.host = host
        self.config = config
        self.socket = socket
    }
}
