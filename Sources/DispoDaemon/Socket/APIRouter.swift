import DispoEngine
import DispoHost
import FlyingFox
import Foundation

/// Routes the socket API's requests: the endpoints, 404 for unknown paths, 405 (with `Allow`) for a wrong method
/// on a known path, 503 for everything once the controller is stopping, 501 for what the controller's backend
/// does not do. Errors are `{"error": "message"}`.
struct APIRouter: HTTPHandler {
    let controller: any ControllerAPI
    /// What `GET /v1/ping` answers.
    let identity: DaemonIdentity

    /// The API's paths; each answers one method.
    enum Endpoint: Equatable {
        case disposables
        case disposable(String)
        case status
        case plan
        case ping
        case events
        case metrics
        case hostSuspend
        case hostResume

        init?(path: String) {
            let prefix = "/v1/disposables/"
            switch path {
            case "/v1/disposables", prefix: self = .disposables
            case "/v1/status": self = .status
            case "/v1/plan": self = .plan
            case "/v1/ping": self = .ping
            case "/v1/events": self = .events
            case "/metrics": self = .metrics
            case "/v1/host/suspend": self = .hostSuspend
            case "/v1/host/resume": self = .hostResume
            default:
                guard path.hasPrefix(prefix) else { return nil }
                let name = String(path.dropFirst(prefix.count))
                guard !name.contains("/") else { return nil }
                self = .disposable(name)
            }
        }

        var method: HTTPMethod {
            switch self {
            case .disposables, .hostSuspend, .hostResume: return .POST
            case .disposable: return .DELETE
            case .status, .plan, .ping, .events, .metrics: return .GET
            }
        }
    }

    /// This controller, as the `source` of its status and plan.
    private var servedBy: StatusReport.SourcePart {
        StatusReport.SourcePart(kind: "controller", pid: identity.pid, socket: identity.socket)
    }

    static let routes =
        "POST /v1/disposables, DELETE /v1/disposables/NAME, GET /v1/status, GET /v1/plan, "
        + "GET /v1/ping, GET /v1/events, GET /metrics, POST /v1/host/suspend, POST /v1/host/resume"

    func handleRequest(_ request: HTTPRequest) async -> HTTPResponse {
        guard let endpoint = Endpoint(path: request.path) else {
            return JSONResponse.error(.notFound, "no route \(request.path); the routes are \(Self.routes)")
        }
        if controller.isStopping {
            return JSONResponse.error(.serviceUnavailable, "dispo is shutting down; try again shortly")
        }
        guard request.method == endpoint.method else {
            var response = JSONResponse.error(
                .methodNotAllowed,
                "\(request.method.rawValue) is not allowed on \(request.path); use \(endpoint.method.rawValue)")
            response.headers[HTTPHeader("Allow")] = endpoint.method.rawValue
            return response
        }
        do {
            return try await respond(to: endpoint, request)
        } catch let failure as APIFailure {
            return failure.response
        } catch {
            return JSONResponse.error(.internalServerError, "\(error)")
        }
    }

    private func respond(to endpoint: Endpoint, _ request: HTTPRequest) async throws -> HTTPResponse {
        switch endpoint {
        case .ping:
            return try JSONResponse.ok(identity)
        case .disposables:
            let body = try await RequestBody.read(request)
            let handout = try await APIFailure.wrap { () throws(RequestError) in
                let parsed = try RequestBody.parse(body)
                return try await controller.request(target: parsed.target, source: parsed.source)
            }
            return try JSONResponse.ok(handout, status: .created)
        case .disposable(let name):
            try await APIFailure.wrap { () throws(RequestError) in try await controller.release(name) }
            return try JSONResponse.ok(["released": name])
        case .status:
            let report = try await APIFailure.wrap { () throws(RequestError) in
                try await controller.statusDocument(servedBy: servedBy)
            }
            return try JSONResponse.ok(report)
        case .plan:
            let plan = try await APIFailure.wrap { () throws(RequestError) in
                try await controller.planDocument(servedBy: servedBy)
            }
            return try JSONResponse.ok(plan)
        case .events:
            var since: Int?
            if let value = request.query.first(where: { $0.name == "since" })?.value {
                guard let number = Int(value), number >= 0 else {
                    throw APIFailure(.badRequest, "since must be an event number (0 or more), found \(value)")
                }
                since = number
            }
            if let value = request.query.first(where: { $0.name == "wait" })?.value {
                guard let seconds = Double(value), seconds >= 0, seconds <= 300 else {
                    throw APIFailure(.badRequest, "wait must be seconds from 0 to 300, found \(value)")
                }
                let (events, last) = await controller.events(
                    after: since ?? Int.max, waiting: since == nil ? .zero : .milliseconds(Int64(seconds * 1000)))
                return try JSONResponse.ok(EventPage(events: events, last: last))
            }
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
                body: HTTPBodySequence(from: EventBody(events: controller.events(since: since))))
        case .hostSuspend:
            let body = try await RequestBody.read(request)
            let report = try await APIFailure.wrap { () throws(RequestError) in
                try await controller.suspendHost(timeout: SuspendBody.parse(body))
            }
            return try JSONResponse.ok(report)
        case .hostResume:
            let report = try await APIFailure.wrap { () throws(RequestError) in try await controller.resumeHost() }
            return try JSONResponse.ok(report)
        case .metrics:
            await controller.refreshMetrics()
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: Data(controller.metrics.exposition().utf8))
        }
    }
}

/// An API error: the status and the message of `{"error": "..."}`.
struct APIFailure: Error {
    var status: HTTPStatusCode
    var message: String

    init(_ status: HTTPStatusCode, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A request error with its code's status (`RequestError.Code.httpStatus`).
    init(_ error: RequestError) {
        self.init(error.code.httpStatus, error.message)
    }

    var response: HTTPResponse { JSONResponse.error(status, message) }

    static func wrap<Value>(_ body: () async throws(RequestError) -> Value) async throws(APIFailure) -> Value {
        do {
            return try await body()
        } catch {
            throw APIFailure(error)
        }
    }
}
