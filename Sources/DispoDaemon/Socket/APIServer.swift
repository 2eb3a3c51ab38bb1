import DispoEngine
import DispoHost
import FlyingFox
import FlyingSocks
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 JSON API on the daemon's Unix socket (mode 0660): `GET /v1/status`, `GET /v1/plan`.
public struct APIServer: Service {
    let path: String
    let group: String?
    let controller: Controller
    let logger: Logger

    public init(path: String, group: String?, controller: Controller, logger: Logger) {
        self.path = path
        self.group = group
        self.controller = controller
        self.logger = logger
    }

    public func run() async throws {
        try SocketPath.prepare(path)
        let server = HTTPServer(address: sockaddr_un.unix(path: path), timeout: 15, logger: .disabled)
        await routes(server)
        defer { unlink(path) }
        let stopping = StopFlag()
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await server.run() }
                    try await server.waitUntilListening(timeout: 10)
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

    func routes(_ server: HTTPServer) async {
        let controller = self.controller
        await server.appendRoute("GET /v1/status") { _ in
            do {
                return try JSONResponse.ok(await controller.status())
            } catch {
                return JSONResponse.error(.serviceUnavailable, "\(error)")
            }
        }
        await server.appendRoute("GET /v1/plan") { _ in
            do {
                return try JSONResponse.ok(DiffReport(await controller.currentPlan()))
            } catch {
                return JSONResponse.error(.serviceUnavailable, "\(error)")
            }
        }
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

/// Set once, read from any thread.
final class StopFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
