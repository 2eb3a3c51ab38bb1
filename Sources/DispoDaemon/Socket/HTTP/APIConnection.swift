package import FlyingFox
package import FlyingSocks
import Foundation

/// One client connection of the API socket: requests are read one after another (pipelined ones too) within
/// ``RequestHead/Limits``, each handed to the router once its head and body are complete, and answered in order.
/// A request that breaks a limit is answered with its refusal (400, 408, 413, 414, 431, 501, 505) and the
/// connection is closed; a client that goes away ends it. Reading never costs more than linear time in the bytes
/// the limits allow.
package struct APIConnection {
    let socket: AsyncSocket
    let handler: any HTTPHandler
    private(set) var limits: RequestHead.Limits

    /// Told true when the connection waits for or reads a request, false while the handler has one.
    var reading: @Sendable (Bool) -> Void = { _ in }
    /// Called once before the socket is closed.
    var leaving: @Sendable () -> Void = {}

    /// Bytes read and not yet consumed by a request.
    private var buffer: [UInt8] = []

    package init(socket: AsyncSocket, handler: any HTTPHandler, limits: RequestHead.Limits) {
        self.socket = socket
        self.handler = handler
        self.limits = limits
    }

    /// Serves requests until the client closes, a limit is broken, or the task is cancelled; then closes.
    package mutating func serve() async {
        defer {
            leaving()
            try? socket.close()
        }
        while !Task.isCancelled {
            let request: (head: RequestHead, body: [UInt8])
            do {
                guard let next = try await nextRequest() else { return }
                request = next
            } catch let refusal as RequestHead.Refusal {
                try? await write(Self.refusalResponse(refusal), keepAlive: false)
                await linger()
                return
            } catch {
                return  // the client went away, or the daemon stops
            }
            reading(false)
            let response: HTTPResponse
            do {
                response = try await handler.handleRequest(Self.makeRequest(request.head, body: request.body))
            } catch {
                response = JSONResponse.error(.internalServerError, "\(error)")
            }
            let keepAlive = request.head.keepsAlive
            do {
                try await write(response, keepAlive: keepAlive)
            } catch {
                return
            }
            if !keepAlive { return }
            reading(true)
        }
    }

    /// After a refusal: the rest of what the client sends (a refused body, say) is read and thrown away, up to
    /// ``lingerBytes`` and for at most a second, so that a client still writing sees the answer and not a reset.
    private func linger() async {
        shutdown(socket.socket.file.rawValue, Int32(SHUT_WR))
        let socket = self.socket
        _ = try? await Self.within(1) {
            var discarded = 0
            while discarded < Self.lingerBytes, let bytes = try await Self.read(socket) { discarded += bytes.count }
        }
    }

    static let lingerBytes = 1024 * 1024

    /// Answers the connection's first request with `refusal` and closes. The request is read first (for at most a
    /// second), because a client whose request is still unsent when the connection closes sees only a reset.
    mutating func refuse(_ refusal: RequestHead.Refusal) async {
        defer { try? socket.close() }
        limits.requestSeconds = min(limits.requestSeconds, 1)
        limits.idleSeconds = min(limits.idleSeconds, 1)
        _ = try? await nextRequest()
        try? await write(Self.refusalResponse(refusal), keepAlive: false)
        await linger()
    }

    /// The next request's head and body; nil when the client closed between requests. Throws a ``RequestHead/
    /// Refusal`` for a broken limit (408 when the request takes longer than ``RequestHead/Limits/requestSeconds``).
    private mutating func nextRequest() async throws -> (head: RequestHead, body: [UInt8])? {
        if buffer.isEmpty {
            // Idle between requests: wait for a first byte, at most the idle time.
            let idle = limits.idleSeconds
            let socket = self.socket
            guard let first = try await Self.within(idle, { try await Self.read(socket) }) ?? nil else { return nil }
            buffer.append(contentsOf: first)
        }
        let limits = self.limits
        let socket = self.socket
        let initial = buffer
        let result = try await Self.within(limits.requestSeconds) {
            try await Self.readRequest(from: socket, after: initial, limits: limits)
        }
        guard let (head, body, rest) = result else {
            throw RequestHead.Refusal(
                .requestTimeout, "the request was not complete within \(Int(limits.requestSeconds)) s")
        }
        buffer = rest
        return (head, body)
    }

    /// Reads until one request's head and body are complete: the head, the body, and the bytes after it.
    private static func readRequest(from socket: AsyncSocket, after initial: [UInt8], limits: RequestHead.Limits)
        async throws -> (RequestHead, [UInt8], [UInt8])
    {
        var pending = initial
        var boundary = HeadBoundary()
        while true {
            switch try boundary.scan(pending, limits: limits) {
            case .needMore:
                break
            case .headEnded:
                switch RequestHead.parse(pending[...], limits: limits) {
                case .refused(let refusal): throw refusal
                case .incomplete: break
                case .complete(let head, let length):
                    let end = length + head.contentLength
                    while pending.count < end {
                        guard let more = try await read(socket) else { throw SocketError.disconnected }
                        pending.append(contentsOf: more)
                    }
                    return (head, Array(pending[length..<end]), Array(pending[end...]))
                }
            }
            guard let more = try await read(socket) else { throw SocketError.disconnected }
            pending.append(contentsOf: more)
        }
    }

    /// Up to 4 KiB from the socket; nil at end of stream.
    private static func read(_ socket: AsyncSocket) async throws -> [UInt8]? {
        do {
            let bytes = try await socket.read(atMost: 4096)
            return bytes.isEmpty ? nil : bytes
        } catch SocketError.disconnected {
            return nil
        }
    }

    /// `body`'s value, or nil when it did not finish within `seconds` (it is cancelled then).
    private static func within<Value: Sendable>(
        _ seconds: Double, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    private static func makeRequest(_ head: RequestHead, body: [UInt8]) -> HTTPRequest {
        var headers = HTTPHeaders()
        for field in head.fields { headers.addValue(field.value, for: HTTPHeader(field.name)) }
        let split = head.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return HTTPRequest(
            method: HTTPMethod(head.method), version: HTTPVersion(head.version),
            target: HTTPRequest.Target(path: String(split.first ?? ""), query: split.count > 1 ? String(split[1]) : ""),
            headers: headers, body: HTTPBodySequence(data: Data(body)))
    }

    static func refusalResponse(_ refusal: RequestHead.Refusal) -> HTTPResponse {
        JSONResponse.error(refusal.status, refusal.message)
    }

    /// Writes `response`: its head (with `Content-Length`, or chunked for a body of unknown length such as
    /// `/v1/events`), then its body as it comes.
    private func write(_ response: HTTPResponse, keepAlive: Bool) async throws {
        guard case .httpBody(let body) = response.payload else {
            try await socket.write(Self.encodeHead(JSONResponse.error(.notImplemented, "no such answer"), count: 0,
                                                   keepAlive: false))
            return
        }
        if let count = body.count {
            var data = Self.encodeHead(response, count: count, keepAlive: keepAlive)
            for try await chunk in body { data.append(chunk) }
            try await socket.write(data)
            return
        }
        try await socket.write(Self.encodeHead(response, count: nil, keepAlive: keepAlive))
        for try await chunk in body where !chunk.isEmpty {
            var data = Data(String(chunk.count, radix: 16).utf8)
            data.append(contentsOf: [0x0D, 0x0A])
            data.append(chunk)
            data.append(contentsOf: [0x0D, 0x0A])
            try await socket.write(data)
        }
        try await socket.write(Data("0\r\n\r\n".utf8))
    }

    static func encodeHead(_ response: HTTPResponse, count: Int?, keepAlive: Bool) -> Data {
        var lines = ["HTTP/1.1 \(response.statusCode.code) \(response.statusCode.phrase)"]
        var headers = response.headers
        headers.removeValue(.contentLength)
        headers.removeValue(.transferEncoding)
        headers.removeValue(.connection)
        for name in headers.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            for value in headers.values(for: name) { lines.append("\(name.rawValue): \(value)") }
        }
        lines.append(count.map { "Content-Length: \($0)" } ?? "Transfer-Encoding: chunked")
        lines.append(keepAlive ? "Connection: keep-alive" : "Connection: close")
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }
}

/// Where to look for the end of a request head as bytes arrive, so that a head trickling in one byte at a time
/// is scanned once in all, not once per byte: ``scan(_:limits:)`` says when a full parse is worth it (the empty
/// line has come, or a limit is already broken).
struct HeadBoundary {
    enum Step: Equatable {
        case needMore
        /// The empty line after the head has come: parse it.
        case headEnded
    }

    private var scanned = 0
    private var lineStart = 0
    private var lines = 0

    /// Looks at the bytes added since the last call; throws the refusal for a head that is already too long.
    mutating func scan(_ bytes: [UInt8], limits: RequestHead.Limits) throws(RequestHead.Refusal) -> Step {
        while scanned < bytes.count {
            if bytes[scanned] == UInt8(ascii: "\n") {
                let length = scanned - lineStart
                let isEmpty = length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r"))
                lineStart = scanned + 1
                scanned += 1
                if isEmpty {
                    if lines > 0 { return .headEnded }
                    continue
                }
                lines += 1
                if lines == 1 && length > limits.requestLine { return .headEnded }  // parse says which refusal
                if lines > limits.fields + 1 {
                    throw RequestHead.tooManyFields(limits)
                }
                continue
            }
            scanned += 1
        }
        if lines == 0 && bytes.count - lineStart > limits.requestLine {
            throw RequestHead.tooLongLine(limits)
        }
        if bytes.count > limits.head {
            throw RequestHead.tooLargeHead(limits)
        }
        return .needMore
    }
}
