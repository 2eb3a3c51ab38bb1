public import DispoHost

/// Why a request or release was refused; the code says what kind of refusal it is (the socket API maps it to an
/// HTTP status), the message what the CLI prints.
public struct RequestError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable {
        public let name: String
        /// A malformed target or body.
        public static let badRequest = Code(name: "bad-request")
        /// No such disposable template or disposable.
        public static let notFound = Code(name: "not-found")
        /// The name exists but cannot be released.
        public static let notReleasable = Code(name: "not-releasable")
        /// The disposable was released already.
        public static let alreadyReleased = Code(name: "already-released")
        /// The daemon is stopping.
        public static let shuttingDown = Code(name: "shutting-down")
        /// The daemon cannot serve yet: no valid config is in force.
        public static let unavailable = Code(name: "unavailable")
        /// The host failed.
        public static let hostFailed = Code(name: "host-failed")
        /// This controller's backend has no such operation (the socket API answers 501, saying why).
        public static let notSupported = Code(name: "not-supported")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: HostError) {
        self.init(.hostFailed, error.description)
    }

    public var description: String { message }
}

/// A disposable handed out (`request --json`, `POST /v1/disposables`).
public struct Handout: Sendable, Codable, Hashable {
    public var name: String
    public var domid: Int
    public var uuid: String
    public var template: String
    /// True when it came from the preload queue, false when made cold.
    public var preloaded: Bool
    /// Seconds the request took.
    public var seconds: Double

    public init(name: String, domid: Int, uuid: String, template: String, preloaded: Bool, seconds: Double) {
        self.name = name
        self.domid = domid
        self.uuid = uuid
        self.template = template
        self.preloaded = preloaded
        self.seconds = seconds
    }
}
