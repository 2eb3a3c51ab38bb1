import FlyingFox
import FlyingSocks
public import Foundation

/// Talks to a running daemon over its Unix socket (what the CLI uses when the daemon runs).
public enum APIClient {
    /// The response: status code and body.
    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
    }

    /// True when something accepts connections on `path`.
    public static func isServing(_ path: String) async -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        return (try? await send("GET", "/v1/status", socket: path)) != nil
    }

    /// Sends one request and waits for the whole reply.
    public static func send(_ method: String, _ target: String, body: Data = Data(), socket path: String)
        async throws -> Reply
    {
        var client = HTTPClient()
        let request = HTTPRequest(
            method: HTTPMethod(method), version: .http11, path: target, query: [],
            headers: [.contentType: "application/json", .host: "localhost", .connection: "close"], body: body)
        let response = try await client.sendHTTPRequest(request, to: sockaddr_un.unix(path: path))
        return Reply(status: response.statusCode.code, body: try await response.bodyData)
    }
}
