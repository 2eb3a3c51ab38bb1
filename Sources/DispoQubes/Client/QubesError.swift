/// A failed Admin API call or Qubes operation, with qubesd's exception type and message when it sent one.
public struct QubesError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        /// qubesd refused the call with an exception (``QubesError/exceptionType`` says which).
        public static let refused = Code(name: "refused")
        /// qubesd closed the connection without a reply: its own failure (the client says "empty response").
        public static let daemonFailure = Code(name: "daemon-failure")
        /// The reply is not one qubesd sends.
        public static let malformedReply = Code(name: "malformed-reply")
        /// The socket cannot be reached (no qubesd, no permission).
        public static let unavailable = Code(name: "unavailable")
        /// The request cannot be framed (a space in a name, too large).
        public static let badRequest = Code(name: "bad-request")
        /// A qube of a declared name that dispo did not make; nothing was changed.
        public static let notOwned = Code(name: "not-owned")
        /// The config asks for something this host cannot give (a missing TemplateVM).
        public static let unsatisfiable = Code(name: "unsatisfiable")
        public var description: String { name }
    }

    public var code: Code
    /// qubesd's exception class, e.g. `QubesVMNotFoundError`; nil when qubesd sent none.
    public var exceptionType: String?
    /// The call that failed, as `admin.vm.Start+ sys-net`.
    public var call: String?
    public var message: String

    public init(_ code: Code, call: AdminCall? = nil, exceptionType: String? = nil, _ message: String) {
        self.code = code
        self.call = call?.description
        self.exceptionType = exceptionType
        self.message = message
    }

    public var description: String {
        var text = ""
        if let call { text += "\(call): " }
        if let exceptionType { text += "\(exceptionType): " }
        return text + message
    }
}
