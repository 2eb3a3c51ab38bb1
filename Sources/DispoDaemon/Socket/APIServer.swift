import DispoEngine
import DispoHost
import FlyingFox
import FlyingSocks
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 JSON API on the daemon's Unix socket (mode 0660): `POST /v1/disposables`,
/// `DELETE /v1/disposables/NAME`, `GET /v1/status`, `GET /v1/plan`, `GET /v1/ping`, `GET /metrics`
/// (see ``APIRouter``).
public struct APIServer: Service {
    /// The largest refused body still read (and thrown away) after the answer, so that the client sees the 413.
    static let discardLimit = 1024 * 1024

    let path: String
    let group: String?
    let controller: Controller
    let identity: DaemonIdentity
    let logger: Logger

    /// - Parameter config: the config directory the controller applies (for `GET /v1/ping`).
    public init(path: String, group: String?, controller: Controller, config: String, logger: Logger) {
        self.path = path
        self.group = group
        self.controller = controller
        self.identity = DaemonIdentity(host: controller.host.location, config: config, socket: path)
        self.logger = logger
    }

    public func run() async throws {
        try SocketPath.prepare(path)
        let server = Self.makeServer(path: path, controller: controller, identity: identity)
        let bound = SocketFile()
        defer { bound.removeIfStillOurs(path) }
        let stopping = StopFlag()
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await server.run() }
                    try await server.waitUntilListening(timeout: 10)
                    bound.remember(path)
                    SocketPath.closeOnExec(path)
                    try SocketPath.restrict(path, group: self.group)
                    logger.info("serving the API", metadata: ["socket": "\(path)"])
                    try await group.next()
                }
            } onGracefulShutdown: {
                stopping.set()
                Task { await server.stop(timeout: 1) }
            }
        } catch where stopping.isSet {
            // The server reports its own stop as an error; a requested stop is a clean end.
        }
    }

    /// The HTTP server on `path`. Bodies up to ``RequestBody/maxBytes`` are read before routing; longer ones are
    /// refused (413) unread, and then discarded up to ``discardLimit`` so the client can read the answer, while a
    /// longer one ends the connection. A request may take up to an hour (a cold start waits for readiness).
    static func makeServer(path: String, controller: Controller, identity: DaemonIdentity) -> HTTPServer {
        let configuration = HTTPServer.Configuration(
            address: sockaddr_un.unix(path: path), timeout: 3600, sharedRequestBufferSize: RequestBody.maxBytes,
            sharedRequestReplaySize: discardLimit, logger: .disabled)
        return HTTPServer(config: configuration, handler: APIRouter(controller: controller, identity: identity))
    }
}

/// JSON bodies for the API.
enum JSONResponse {
    static func ok(_ value: some Encodable, status: HTTPStatusCode = .ok) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return HTTPResponse(statusCode: status, headers: [.contentType: "application/json"], body: data)
    }

    static func error(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        struct Body: Encodable { var error: String }
        return (try? ok(Body(error: message), status: status))
            ?? HTTPResponse(statusCode: status, body: Data(message.utf8))
    }
}

/// The socket file this server bound (device and inode), so that stopping removes it only while it is still
/// ours: a socket another daemon has bound at the same path since is left alone.
final class SocketFile: Sendable {
    private let identity = Mutex<(dev: UInt64, ino: UInt64)?>(nil)

    func remember(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        identity.withLock { $0 = (UInt64(info.st_dev), UInt64(info.st_ino)) }
    }

    func removeIfStillOurs(_ path: String) {
        guard let mine = identity.withLock({ $0 }) else { return }
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == mine.dev, UInt64(info.st_ino) == mine.ino else { return }
        unlink(path)
    }
}

/// Set once, read from any thread.
final class StopFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
