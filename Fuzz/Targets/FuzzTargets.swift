import DispoConfig
import DispoDaemon
import DispoHost
import DispoSim
import FlyingFox
import FlyingSocks
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The fuzz targets: each takes any bytes and must return (a diagnostic, an error value, an answer), never crash
/// or hang. `make fuzz` runs them under libFuzzer with AddressSanitizer; the corpus tests replay `Fuzz/corpus`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// YAML bytes as one config file through the node layer, the loader and the validator.
    case config
    /// Raw bytes on an API connection: answered, refused or closed (``APIConnection`` within its limits).
    case request
    /// A simulated host's state file: a state, or an error that says what to do.
    case simState = "sim-state"

    /// Runs one input; returns a short description of the outcome (for replay logs).
    @discardableResult
    public func run(_ bytes: [UInt8]) -> String {
        switch self {
        case .config:
            let result = ConfigLoader(strictModes: false).load(sources: [("fuzz.yaml", bytes)])
            return "\(result.diagnostics.count) diagnostics, \(result.state.disposableTemplates.count) templates"
        case .request:
            return RequestFuzzing.shared.serve(bytes)
        case .simState:
            do {
                let state = try FileSimStore.decode(bytes, path: "fuzz.json")
                return "\(state.domains.count) domains"
            } catch {
                return "error: \(error.message.prefix(60))"
            }
        }
    }
}

/// Serves inputs on one end of a socket pair through a real ``APIConnection`` and reads what comes back on the
/// other; checks that every answer is a framed HTTP/1.1 response.
final class RequestFuzzing: Sendable {
    static let shared = RequestFuzzing()

    private let pool: any AsyncSocketPool
    private let limits: RequestHead.Limits

    private init() {
        pool = HTTPServer.defaultPool()
        var limits = RequestHead.Limits()
        limits.requestSeconds = 1
        limits.idleSeconds = 1
        self.limits = limits
        let pool = self.pool
        let ready = DispatchSemaphore(value: 0)
        Task.detached {
            try? await pool.prepare()
            ready.signal()
            try? await pool.run()
        }
        ready.wait()
    }

    func serve(_ bytes: [UInt8]) -> String {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return "no socket pair"
        }
        let (client, server) = (pair[0], pair[1])
        defer { close(client) }
        // The whole input fits in the socket's buffer (inputs are at most 64 KiB; the buffer is made larger),
        // so it is written here before the connection is served, and the end of the stream follows it.
        var size: Int32 = 4 * 1024 * 1024
        setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(server, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
        shutdown(client, Int32(SHUT_WR))
        let done = DispatchSemaphore(value: 0)
        let (pool, limits) = (self.pool, self.limits)
        Task.detached {
            if let socket = try? AsyncSocket(socket: Socket(file: .init(rawValue: server)), pool: pool) {
                var connection = APIConnection(socket: socket, handler: EchoHandler(), limits: limits)
                await connection.serve()
            } else {
                close(server)
            }
            done.signal()
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        done.wait()
        guard let responses = Self.responses(in: answer) else {
            preconditionFailure("an answer that is not framed HTTP/1.1: \(String(decoding: answer.prefix(500), as: UTF8.self))")
        }
        return "\(responses) responses"
    }

    /// The number of well-framed responses `bytes` holds; nil when they are not all framed.
    static func responses(in bytes: [UInt8]) -> Int? {
        var rest = bytes[...]
        var count = 0
        while !rest.isEmpty {
            guard let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
            let head = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 ") else { return nil }
            rest = rest[end.upperBound...]
            let lines = head.split(separator: "\r\n")
            if let length = lines.first(where: { $0.hasPrefix("Content-Length: ") }).flatMap({ Int($0.dropFirst(16)) }) {
                guard rest.count >= length else { return nil }
                rest = rest.dropFirst(length)
            } else {
                guard lines.contains("Transfer-Encoding: chunked"), let chunkedEnd = rest.firstRange(of: Array("0\r\n\r\n".utf8))
                else { return nil }
                rest = rest[chunkedEnd.upperBound...]
            }
            count += 1
        }
        return count
    }
}

/// Answers every request with its method and path as JSON.
struct EchoHandler: HTTPHandler {
    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try JSONEncoder().encode(["method": request.method.rawValue, "path": request.path])
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: body)
    }
}
