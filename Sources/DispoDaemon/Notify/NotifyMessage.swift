/// One `sd_notify` message: `KEY=VALUE` fields, sent as one datagram.
public struct NotifyMessage: Sendable, Equatable {
    public var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// The start-up, or a reload, is done; `status` says how things stand.
    public static func ready(status: String) -> NotifyMessage {
        NotifyMessage([Field("READY", "1"), Field("STATUS", status)])
    }

    /// A reload (SIGHUP) began; `READY=1` follows once it is done. `MONOTONIC_USEC` is the `CLOCK_MONOTONIC`
    /// time of the reload's start, as `Type=notify-reload` wants it (systemd 253 and later).
    public static func reloading(
        monotonicMicroseconds: UInt64, status: String = "reloading: rescanning the config"
    )
        -> NotifyMessage
    {
        NotifyMessage([
            Field("RELOADING", "1"), Field("MONOTONIC_USEC", "\(monotonicMicroseconds)"), Field("STATUS", status),
        ])
    }

    /// A graceful stop began.
    public static func stopping(status: String) -> NotifyMessage {
        NotifyMessage([Field("STOPPING", "1"), Field("STATUS", status)])
    }

    /// The one-line summary `systemctl status` shows.
    public static func status(_ line: String) -> NotifyMessage {
        NotifyMessage([Field("STATUS", line)])
    }

    /// The loop is alive: the watchdog's keep-alive ping.
    public static let watchdog = NotifyMessage([Field("WATCHDOG", "1")])

    /// The datagram: one `KEY=VALUE` line per field; a value's line breaks become spaces (a value is one line).
    public var datagram: String {
        fields.map { field in
            let value = String(field.value.map { $0.isNewline ? " " : $0 })
            return "\(field.key)=\(value)\n"
        }.joined()
    }
}
