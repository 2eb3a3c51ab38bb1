public import DispoEngine
import FlyingFox
import FlyingSocks
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Talks to a running daemon over its Unix socket (what the CLI uses when the daemon runs).
public enum APIClient {
    /// The response: status code and body.
    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
    }

    /// The daemon refused: its HTTP status and the message of its `{"error": "..."}` body.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var status: Int
        public var message: String

        public var description: String { message }
    }

    /// True when something accepts connections on `path` (a socket left behind by a daemon that is gone
    /// refuses them). Only connects: a command then sends its one request, without a ping first.
    public static func isServing(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return connected == 0
    }

    /// Who answers on `path` (`GET /v1/ping`): nil when nothing does (no socket, or one left by a daemon that is
    /// gone); a ``Refusal`` when something answers that is not a dispo daemon of this version.
    package static func identity(_ path: String) async throws(Refusal) -> DaemonIdentity? {
        if let problem = SocketPath.trustProblem(path) { throw Refusal(status: 0, message: problem) }
        guard isServing(path) else { return nil }
        let reply: Reply
        do {
            reply = try await send("GET", "/v1/ping", socket: path)
        } catch {
            return nil
        }
        guard reply.status == 200, let identity = try? JSONDecoder().decode(DaemonIdentity.self, from: reply.body)
        else {
            throw Refusal(
                status: reply.status,
                message: "\(path) answers, but not as a dispo daemon of this version: \(text(reply.body))")
        }
        return identity
    }

    /// Sends one request (`target` may carry a `?query`) and waits for the whole reply.
    public static func send(
        _ method: String, _ target: String, body: Data = Data(), socket path: String
    )
        async throws -> Reply
    {
        if let problem = SocketPath.trustProblem(path) { throw Refusal(status: 0, message: problem) }
        var client = HTTPClient()
        let parts = target.split(separator: "?", maxSplits: 1)
        let query = (parts.count == 2 ? parts[1] : "").split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1)
            return HTTPRequest.QueryItem(name: String(pair[0]), value: pair.count == 2 ? String(pair[1]) : "")
        }
        let request = HTTPRequest(
            method: HTTPMethod(method), version: .http11, path: String(parts.first ?? ""), query: query,
            headers: [.contentType: "application/json", .host: "localhost", .connection: "close"], body: body)
        let response = try await client.sendHTTPRequest(request, to: sockaddr_un.unix(path: path))
        return Reply(status: response.statusCode.code, body: try await response.bodyData)
    }

    /// `POST /v1/disposables`: hands out a disposable. Throws a ``Refusal`` when the daemon says no, or the
    /// transport's error when it does not answer.
    public static func request(target: String?, source: String?, socket path: String) async throws -> Handout {
        let body = try JSONEncoder().encode(RequestBody(target: target, source: source))
        let reply = try await send("POST", "/v1/disposables", body: body, socket: path)
        guard reply.status == 201 else { throw refusal(reply) }
        do {
            return try JSONDecoder().decode(Handout.self, from: reply.body)
        } catch {
            throw Refusal(status: reply.status, message: "the daemon's answer is not a disposable: \(text(reply.body))")
        }
    }

    /// `DELETE /v1/disposables/NAME`: ends an unnamed disposable.
    public static func release(_ name: String, socket path: String) async throws {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        let escaped = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
        let reply = try await send("DELETE", "/v1/disposables/" + escaped, socket: path)
        guard reply.status == 200 else { throw refusal(reply) }
    }

    /// `POST /v1/host/suspend`: removes the preloads and holds the refill; answers once they are gone or after
    /// `timeout` seconds. Throws as ``request(target:source:socket:)`` does.
    public static func suspendHost(timeout: Double, socket path: String) async throws -> SuspendReport {
        let body = try JSONEncoder().encode(SuspendBody(timeout: timeout))
        let reply = try await send("POST", "/v1/host/suspend", body: body, socket: path)
        return try decoded(SuspendReport.self, reply, what: "a host suspend report")
    }

    /// `POST /v1/host/resume`: ends the hold; the queues refill.
    public static func resumeHost(socket path: String) async throws -> ResumeReport {
        let reply = try await send("POST", "/v1/host/resume", socket: path)
        return try decoded(ResumeReport.self, reply, what: "a host resume report")
    }

    /// `GET /v1/plan`: the controller's plan of its config in force, with what it has in flight.
    package static func plan(socket path: String) async throws -> DiffReport {
        let reply = try await send("GET", "/v1/plan", socket: path)
        return try decoded(DiffReport.self, reply, what: "a plan")
    }

    /// A 200 reply's body as `type`, else the refusal.
    private static func decoded<Value: Decodable>(_ type: Value.Type, _ reply: Reply, what: String) throws -> Value {
        guard reply.status == 200 else { throw refusal(reply) }
        do {
            return try JSONDecoder().decode(type, from: reply.body)
        } catch {
            throw Refusal(status: reply.status, message: "the daemon's answer is not \(what): \(text(reply.body))")
        }
    }

    /// The events of the daemon on `path` through the long poll of `GET /v1/events?since=N&wait=S`: every kept
    /// event after `since` (nil: only new ones), then each new one as it happens. Ends when the daemon stops (it
    /// answers 503 or goes away after having answered); throws when it never answers or refuses.
    package static func events(since: Int?, socket path: String) -> AsyncThrowingStream<ControllerEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var next = since
                var answered = false
                while !Task.isCancelled {
                    let query = next.map { "since=\($0)&wait=30" } ?? "wait=0"
                    let reply: Reply
                    do {
                        reply = try await send("GET", "/v1/events?" + query, socket: path)
                    } catch {
                        if answered { return continuation.finish() }
                        return continuation.finish(throwing: error)
                    }
                    if reply.status == 503, answered { return continuation.finish() }
                    guard reply.status == 200, let page = try? JSONDecoder().decode(EventPage.self, from: reply.body)
                    else { return continuation.finish(throwing: refusal(reply)) }
                    answered = true
                    for event in page.events { continuation.yield(event) }
                    next = page.last
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The daemon's message from an error body, or the body itself.
    static func refusal(_ reply: Reply) -> Refusal {
        struct ErrorBody: Decodable { var error: String }
        let message =
            (try? JSONDecoder().decode(ErrorBody.self, from: reply.body))?.error
            ?? "the daemon answered \(reply.status): \(text(reply.body))"
        return Refusal(status: reply.status, message: message)
    }

    private static func text(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
