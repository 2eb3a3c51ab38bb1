import DispoEngine
import DispoHost
import FlyingFox
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 JSON API on the daemon's Unix socket (mode 0660): `POST /v1/disposables`,
/// `DELETE /v1/disposables/NAME`, `GET /v1/status`, `GET /v1/plan`, `GET /v1/ping`, `GET /metrics`
/// (see ``APIRouter``), read within ``RequestHead/Limits`` by ``APIListener``.
public struct APIServer: Service {
    let path: String
    let group: String?
    let controller: any ControllerAPI
    let identity: DaemonIdentity
    let limits: RequestHead.Limits
    let logger: Logger

    /// - Parameter config: the config directory the controller applies (for `GET /v1/ping`).
    public init(path: String, group: String?, controller: Controller, config: String, logger: Logger) {
        self.init(
            path: path, group: group, controller: controller, host: controller.host.location, config: config,
            limits: .init(), logger: logger)
    }

    package init(
        path: String, group: String?, controller: Controller, config: String, limits: RequestHead.Limits,
        logger: Logger
    ) {
        self.init(
            path: path, group: group, controller: controller, host: controller.host.location, config: config,
            limits: limits, logger: logger)
    }

    /// Serves any controller; `host` is how dispo names the host it keeps (`GET /v1/ping`'s `host`, which the
    /// commands compare with their `--host`).
    package init(
        path: String, group: String?, controller: any ControllerAPI, host: String, config: String,
        limits: RequestHead.Limits = .init(), logger: Logger
    ) {
        self.path = path
        self.group = group
        self.controller = controller
        self.identity = DaemonIdentity(host: host, config: config, socket: path)
        self.limits = limits
        self.logger = logger
    }

    /// Serves until the service is asked to stop; requests in flight then get a second to finish.
    public func run() async throws {
        try SocketPath.prepare(path)
        let listener = APIListener(
            path: path, group: group, handler: APIRouter(controller: controller, identity: identity), limits: limits)
        let descriptor = try listener.bind()
        let bound = SocketFile()
        bound.remember(path)
        defer { bound.removeIfStillOurs(path) }
        logger.info("serving the API", metadata: ["socket": "\(path)"])
        let serving = Task { try await listener.serve(descriptor) }
        let result = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await serving.result
            } onGracefulShutdown: {
                Task {
                    try? await Task.sleep(for: .seconds(1))
                    serving.cancel()
                }
            }
        } onCancel: {
            serving.cancel()
        }
        if case .failure(let error) = result, !(error is CancellationError) { throw error }
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
