/// One event from `admin.Events`: `1\0SUBJECT\0EVENT\0(KEY\0VALUE\0)*\0`.
public struct AdminEvent: Sendable, Hashable {
    /// The qube the event is about; empty for events of the whole system (e.g. `connection-established`).
    public var subject: String
    /// E.g. `domain-start`, `domain-feature-set:preload-dispvm-max`, `property-set:memory`.
    public var name: String
    public var arguments: [String: String]

    public init(subject: String, name: String, arguments: [String: String] = [:]) {
        self.subject = subject
        self.name = name
        self.arguments = arguments
    }
}

/// Cuts a byte stream into ``AdminEvent``s; chunks may end anywhere, even inside a field.
public struct AdminEventParser: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// Appends `chunk` and returns the events it completes. An exception reply (`2\0...`) in place of the stream
    /// throws it as a ``QubesError``; any other code is malformed.
    public mutating func feed(_ chunk: [UInt8]) throws(QubesError) -> [AdminEvent] {
        buffer += chunk
        var events: [AdminEvent] = []
        while let (event, used) = try next() {
            events.append(event)
            buffer.removeFirst(used)
        }
        return events
    }

    /// True when bytes of an unfinished event are held (the stream ended mid-event if it ends now).
    public var hasPartialEvent: Bool { !buffer.isEmpty }

    private func next() throws(QubesError) -> (AdminEvent, Int)? {
        guard buffer.count >= 2 else { return nil }
        let call = AdminCall("admin.Events")
        guard buffer[1] == 0 else { throw QubesError(.malformedReply, call: call, "event does not start with a code and NUL") }
        switch buffer[0] {
        case UInt8(ascii: "1"):
            break
        case UInt8(ascii: "2"):
            // an exception ends the stream: it is complete once its three fields are
            let fields = buffer[2...].split(separator: 0, omittingEmptySubsequences: false)
            guard fields.count >= 4 else { return nil }
            throw QubesError(.refused, call: call, exceptionType: String(decoding: fields[0], as: UTF8.self),
                String(decoding: fields[2], as: UTF8.self))
        default:
            throw QubesError(.malformedReply, call: call, "unknown event code \(buffer[0])")
        }
        var fields: [String] = []
        var start = 2
        var index = 2
        while index < buffer.count {
            if buffer[index] == 0 {
                let field = String(decoding: buffer[start..<index], as: UTF8.self)
                start = index + 1
                // subject (may be empty) and event name first; then an empty key ends the event
                if fields.count >= 2, fields.count % 2 == 0, field.isEmpty {
                    var arguments: [String: String] = [:]
                    var pair = 2
                    while pair + 1 < fields.count {
                        arguments[fields[pair]] = fields[pair + 1]
                        pair += 2
                    }
                    return (AdminEvent(subject: fields[0], name: fields[1], arguments: arguments), index + 1)
                }
                fields.append(field)
            }
            index += 1
        }
        return nil
    }
}
