package import FlyingFox

/// The head of one HTTP/1.1 request (request line and header fields), parsed within fixed bounds so that no input
/// costs more than linear time in bytes the bounds allow: the socket is served by dispo's own bounded reader
/// (``APIConnection``) because the HTTP library's decoder reads lines and headers without any limit (a 10 KB
/// header line was never answered; a 1 MB path took a core for seconds).
package struct RequestHead: Equatable, Sendable {
    package var method: String
    /// The request target as sent (`/v1/events?since=3`).
    package var target: String
    package var version: String
    /// The fields in order, names as sent.
    package var fields: [(name: String, value: String)]
    /// The body's length from `Content-Length` (0 without one).
    package var contentLength: Int

    /// Whether the connection stays open after the answer: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only
    /// with `Connection: keep-alive`.
    package var keepsAlive: Bool {
        let tokens = field("Connection").map { $0.lowercased().split(separator: ",").map { $0.trimmed } } ?? []
        return version == "HTTP/1.1" ? !tokens.contains("close") : tokens.contains("keep-alive")
    }

    /// The value of the first field called `name` (any case).
    package func field(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    package static func == (lhs: RequestHead, rhs: RequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.contentLength == rhs.contentLength && lhs.fields.map(\.name) == rhs.fields.map(\.name)
            && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// What the reader accepts. The defaults are far above what `dispo` and curl send (a request line under 100
    /// bytes, a handful of fields, a body under 100 bytes).
    package struct Limits: Sendable {
        /// The request line, in bytes (414 beyond).
        package var requestLine = 8 * 1024
        /// The whole head, request line included (431 beyond).
        package var head = 16 * 1024
        /// Header fields (431 beyond).
        package var fields = 64
        /// The body (413 beyond, refused unread).
        package var body = RequestBody.maxBytes
        /// From a request's first byte to the end of its head and body (408 beyond): a client sending a byte now
        /// and then (slowloris) holds a connection for this long at most.
        package var requestSeconds = 10.0
        /// An open connection with no request started is closed after this long (`dispo` opens one per request).
        package var idleSeconds = 10.0
        /// Connections served at once; one more is answered 503 and closed.
        package var connections = 128

        package init() {}
    }

    /// A request that cannot be served: the status and message of the `{"error": ...}` answer, after which the
    /// connection is closed (the rest of its bytes cannot be framed).
    package struct Refusal: Error, Equatable, Sendable {
        package var status: HTTPStatusCode
        package var message: String

        package init(_ status: HTTPStatusCode, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    /// What ``parse(_:limits:)`` found at the start of a buffer.
    package enum Parse: Equatable, Sendable {
        /// No complete head yet, and nothing wrong so far: read more.
        case incomplete
        /// A head, and how many bytes it took (its body starts there).
        case complete(RequestHead, length: Int)
        case refused(Refusal)
    }

    /// Parses the head at the start of `bytes` (CRLF or bare LF line ends). Linear in `bytes.count`, and only the
    /// first ``Limits/head`` bytes are ever looked at.
    package static func parse(_ bytes: ArraySlice<UInt8>, limits: Limits = Limits()) -> Parse {
        let window = bytes.prefix(limits.head + 1)
        guard let end = headEnd(window) else {
            if let firstLineEnd = window.firstIndex(of: lf) {
                if firstLineEnd - window.startIndex > limits.requestLine { return .refused(tooLongLine(limits)) }
            } else if window.count > limits.requestLine {
                return .refused(tooLongLine(limits))
            }
            if window.count > limits.head { return .refused(tooLargeHead(limits)) }
            return .incomplete
        }
        if end.bodyStart - window.startIndex > limits.head { return .refused(tooLargeHead(limits)) }
        var lines = window[window.startIndex..<end.headEnd].split(separator: lf, omittingEmptySubsequences: false)
            .map { $0.last == cr ? $0.dropLast() : $0 }
        lines.removeLast()  // the empty piece after the last line's end
        // RFC 9112 §2.2: empty lines before the request line are ignored.
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard let requestLine = lines.first else { return .incomplete }
        if requestLine.count > limits.requestLine { return .refused(tooLongLine(limits)) }
        switch parseRequestLine(requestLine) {
        case .failure(let refusal): return .refused(refusal)
        case .success(let (method, target, version)):
            let fieldLines = lines.dropFirst()
            if fieldLines.count > limits.fields {
                return .refused(tooManyFields(limits))
            }
            var fields: [(name: String, value: String)] = []
            fields.reserveCapacity(fieldLines.count)
            for line in fieldLines {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                    line[line.startIndex..<colon].allSatisfy(isTokenByte)
                else {
                    return .refused(Refusal(.badRequest, "a header field is not NAME: VALUE"))
                }
                let value = line[(colon + 1)...]
                guard value.allSatisfy({ $0 == tab || ($0 >= 0x20 && $0 != 0x7F) }) else {
                    return .refused(Refusal(.badRequest, "a header field's value has control characters"))
                }
                fields.append((String(decoding: line[line.startIndex..<colon], as: UTF8.self),
                               String(decoding: value, as: UTF8.self).trimmed))
            }
            var head = RequestHead(method: method, target: target, version: version, fields: fields, contentLength: 0)
            if let refusal = head.frameBody(limits) { return .refused(refusal) }
            return .complete(head, length: end.bodyStart - window.startIndex)
        }
    }

    /// Checks how the body is framed and sets ``contentLength``: only `Content-Length` (one value, digits) is
    /// served; `Transfer-Encoding` is refused (501) because no endpoint takes a streamed body, and a length over
    /// the limit is refused (413) before any of the body is read.
    private mutating func frameBody(_ limits: Limits) -> Refusal? {
        if fields.contains(where: { $0.name.lowercased() == "transfer-encoding" }) {
            return Refusal(.notImplemented, "Transfer-Encoding is not supported; send the body with a Content-Length")
        }
        let lengths = fields.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        guard let first = lengths.first else { return nil }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
            first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(first)
        else {
            return Refusal(.badRequest, "Content-Length must be one number of bytes")
        }
        guard length <= limits.body else {
            return Refusal(.payloadTooLarge, "the request body is \(length) bytes; the limit is \(limits.body)")
        }
        contentLength = length
        return nil
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(String, String, String), Refusal> {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            return .failure(Refusal(.badRequest, "the request line is not METHOD TARGET HTTP/1.1"))
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failure(Refusal(.httpVersionNotSupported, "only HTTP/1.1 and HTTP/1.0 are served"))
        }
        return .success((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), version))
    }

    /// Where the head ends: the empty line (`\n\n` or `\n\r\n`) after at least the request line.
    private static func headEnd(_ bytes: ArraySlice<UInt8>) -> (headEnd: Int, bodyStart: Int)? {
        var index = bytes.startIndex
        var lineStart = index
        var seenLine = false
        while index < bytes.endIndex {
            if bytes[index] == lf {
                let isEmpty = index == lineStart || (index == lineStart + 1 && bytes[lineStart] == cr)
                if isEmpty, seenLine { return (lineStart, index + 1) }
                if !isEmpty { seenLine = true }
                lineStart = index + 1
            }
            index += 1
        }
        return nil
    }

    static func tooLongLine(_ limits: Limits) -> Refusal {
        Refusal(.uriTooLong, "the request line is longer than \(limits.requestLine) bytes")
    }

    static func tooLargeHead(_ limits: Limits) -> Refusal {
        Refusal(.requestHeaderFieldsTooLarge, "the request head is longer than \(limits.head) bytes")
    }

    static func tooManyFields(_ limits: Limits) -> Refusal {
        Refusal(.requestHeaderFieldsTooLarge, "more than \(limits.fields) header fields")
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let tab = UInt8(ascii: "\t")
}

extension StringProtocol {
    fileprivate var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
