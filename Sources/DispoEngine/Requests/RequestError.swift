public import DispoHost

/// Why a request or release was refused; the code maps to the HTTP status and the CLI's message.
public struct RequestError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable {
        public let name: String
        /// The HTTP status the socket API answers with.
        public let httpStatus: Int
        /// A malformed target or body (400).
        public static let badRequest = Code(name: "bad-request", httpStatus: 400)
        /// No such disposable template or disposable (404).
        public static let notFound = Code(name: "not-found", httpStatus: 404)
        /// The name exists but cannot be released (409).
        public static let notReleasable = Code(name: "not-releasable", httpStatus: 409)
        /// The disposable was released already (410).
        public static let alreadyReleased = Code(name: "already-released", httpStatus: 410)
        /// The daemon is stopping (503).
        public static let shuttingDown = Code(name: "shutting-down", httpStatus: 503)
        /// The daemon cannot serve yet: no valid config is in force (503).
        public static let unavailable = Code(name: "unavailable", httpStatus: 503)
        /// The host failed (500).
        public static let hostFailed = Code(name: "host-failed", httpStatus: 500)
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
