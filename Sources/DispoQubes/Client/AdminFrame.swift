/// One Admin API call as qubesd reads it: `METHOD+ARG SOURCE name DEST\0PAYLOAD`, then the client half-closes.
///
/// qubesd splits the header on the first NUL, then on spaces into four fields; the destination's type must be
/// `name`. The argument may be empty (`admin.vm.List+`). A request is at most 65536 bytes.
public struct AdminCall: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    public var destination: String
    public var argument: String
    public var payload: [UInt8]
    public var source: String

    public init(
        _ method: String, _ destination: String = "dom0", argument: String = "", payload: [UInt8] = [],
        source: String = "dom0"
    ) {
        self.method = method
        self.destination = destination
        self.argument = argument
        self.payload = payload
        self.source = source
    }

    public init(_ method: String, _ destination: String = "dom0", argument: String = "", payload: String) {
        self.init(method, destination, argument: argument, payload: Array(payload.utf8))
    }

    /// qubesd's limit for a whole request.
    public static let maxRequestBytes = 65536

    /// The bytes sent before the half-close.
    public var frame: [UInt8] {
        Array("\(method)+\(argument) \(source) name \(destination)".utf8) + [0] + payload
    }

    /// The header's fields must not contain what separates them; qubesd aborts such a request.
    var problem: String? {
        for (field, value) in [("method", method), ("destination", destination), ("argument", argument)] {
            if value.utf8.contains(where: { $0 == 0 || $0 == 0x20 }) { return "\(field) '\(value)' holds a space or NUL" }
        }
        if method.isEmpty || method.contains("+") { return "method '\(method)' is empty or holds '+'" }
        if frame.count > Self.maxRequestBytes { return "request of \(frame.count) bytes (qubesd takes 65536)" }
        return nil
    }

    /// `admin.vm.property.Set+memory default-dvm`, as messages name a call.
    public var description: String { "\(method)+\(argument) \(destination)" }
}

/// What qubesd answered one call with.
public enum AdminReply: Sendable, Hashable {
    /// `0\0` then the body (UTF-8 text for every call dispo makes).
    case ok([UInt8])
    /// `2\0TYPE\0TRACEBACK\0MESSAGE\0` (optionally format fields after it): qubesd's exception.
    case exception(type: String, message: String)

    /// Decodes a complete reply (read to EOF). Empty is the daemon's own failure; anything else unknown is
    /// malformed. Events (`1\0`) never answer a plain call.
    static func decode(_ bytes: [UInt8], call: AdminCall) throws(QubesError) -> AdminReply {
        guard !bytes.isEmpty else {
            throw QubesError(.daemonFailure, call: call, "got an empty reply from qubesd (see its log: journalctl -u qubesd)")
        }
        guard bytes.count >= 2, bytes[1] == 0 else {
            throw QubesError(.malformedReply, call: call, "reply does not start with a code and NUL")
        }
        let body = Array(bytes[2...])
        switch bytes[0] {
        case UInt8(ascii: "0"):
            return .ok(body)
        case UInt8(ascii: "2"):
            let fields = body.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 3 else {
                throw QubesError(.malformedReply, call: call, "exception reply with \(fields.count) fields, expected 3")
            }
            return .exception(type: fields[0], message: fields[2])
        default:
            throw QubesError(.malformedReply, call: call, "unknown reply code \(bytes[0])")
        }
    }
}
