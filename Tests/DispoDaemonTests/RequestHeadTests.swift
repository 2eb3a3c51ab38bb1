@testable import DispoDaemon
import FlyingFox
import Testing

/// The bounded request-head parser of the API socket.
struct RequestHeadTests {
    func parse(_ text: String, _ limits: RequestHead.Limits = .init()) -> RequestHead.Parse {
        RequestHead.parse(Array(text.utf8)[...], limits: limits)
    }

    @Test func parsesAHeadWithCRLFOrBareLF() throws {
        for text in [
            "POST /v1/disposables?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length:  2 \r\n\r\n{}",
            "\r\nPOST /v1/disposables?x=1 HTTP/1.1\nHost: a\nContent-Length: 2\n\n{}",
        ] {
            guard case .complete(let head, let length) = parse(text) else {
                Issue.record("\(text.debugDescription): \(parse(text))")
                continue
            }
            #expect(head.method == "POST" && head.target == "/v1/disposables?x=1" && head.version == "HTTP/1.1")
            #expect(head.fields.map(\.name) == ["Host", "Content-Length"] && head.field("content-length") == "2")
            #expect(head.contentLength == 2)
            #expect(Array(text.utf8)[length...] == Array("{}".utf8)[...], "the body starts after the head")
        }
    }

    @Test func keepAliveFollowsTheVersionAndConnection() {
        func keeps(_ version: String, _ connection: String?) -> Bool? {
            let field = connection.map { "Connection: \($0)\r\n" } ?? ""
            guard case .complete(let head, _) = parse("GET / \(version)\r\n\(field)\r\n") else { return nil }
            return head.keepsAlive
        }
        #expect(keeps("HTTP/1.1", nil) == true)
        #expect(keeps("HTTP/1.1", "Close") == false)
        #expect(keeps("HTTP/1.1", "te, close") == false)
        #expect(keeps("HTTP/1.0", nil) == false)
        #expect(keeps("HTTP/1.0", "keep-alive") == true)
    }

    @Test func anUnfinishedHeadAsksForMore() {
        for text in ["", "\r\n", "GET / HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\n\r"] {
            #expect(parse(text) == .incomplete, "\(text.debugDescription)")
        }
    }

    @Test(arguments: [
        ("GET /\r\n\r\n", 400, "METHOD TARGET"), ("GET  / HTTP/1.1\r\n\r\n", 400, "METHOD TARGET"),
        ("G(T / HTTP/1.1\r\n\r\n", 400, "METHOD TARGET"), ("GET /a\u{7F} HTTP/1.1\r\n\r\n", 400, "METHOD TARGET"),
        ("GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.1"), ("GET / HTTP/1.1\r\nno colon\r\n\r\n", 400, "NAME: VALUE"),
        ("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400, "NAME: VALUE"),
        ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "NAME: VALUE"),
        ("GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n", 400, "control characters"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "one number"),
        ("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400, "one number"),
        ("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "one number"),
        ("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 400, "one number"),
        ("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413, "65537 bytes"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "Content-Length"),
    ])
    func refusals(text: String, status: Int, message: String) {
        guard case .refused(let refusal) = parse(text) else {
            Issue.record("\(text.debugDescription) was not refused: \(parse(text))")
            return
        }
        #expect(refusal.status.code == status, "\(text.debugDescription): \(refusal)")
        #expect(refusal.message.contains(message), "\(refusal.message)")
    }

    @Test func theLimitsHold() {
        var limits = RequestHead.Limits()
        limits.requestLine = 100
        limits.head = 300
        limits.fields = 3
        let longLine = "GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\n\r\n"
        #expect(status(parse(longLine, limits)) == 414)
        #expect(status(parse(String(longLine.prefix(150)), limits)) == 414, "refused before the line ends")
        let fourFields = "GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 4) + "\r\n"
        #expect(status(parse(fourFields, limits)) == 431)
        let bigField = "GET / HTTP/1.1\r\nA: " + String(repeating: "b", count: 400) + "\r\n\r\n"
        #expect(status(parse(bigField, limits)) == 431)
        #expect(status(parse(String(bigField.prefix(310)), limits)) == 431, "refused before the head ends")
        let threeFields = "GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 3) + "\r\n"
        if case .complete(let head, _) = parse(threeFields, limits) {
            #expect(head.fields.count == 3)
        } else {
            Issue.record("three fields are within the limit")
        }
    }

    private func status(_ parse: RequestHead.Parse) -> Int? {
        if case .refused(let refusal) = parse { return refusal.status.code }
        return nil
    }

    /// Bytes arriving one at a time are scanned once: the boundary says "parse" exactly when the empty line has
    /// come, and refuses a head over the limits as soon as it is over them.
    @Test func theBoundaryFindsTheEndOfAHeadByteByByte() throws {
        let text = Array("GET /v1/ping HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nNEXT".utf8)
        var boundary = HeadBoundary()
        var seen: [UInt8] = []
        var endedAt: Int?
        for byte in text {
            seen.append(byte)
            if try boundary.scan(seen, limits: .init()) == .headEnded, endedAt == nil { endedAt = seen.count }
        }
        #expect(endedAt == text.count - 4, "the end is the empty line, before the next request's bytes")

        var limits = RequestHead.Limits()
        limits.head = 64
        var small = HeadBoundary()
        var refused: RequestHead.Refusal?
        var sent: [UInt8] = Array("GET / HTTP/1.1\r\n".utf8)
        while refused == nil, sent.count < 200 {
            sent.append(UInt8(ascii: "a"))
            do { _ = try small.scan(sent, limits: limits) } catch { refused = error }
        }
        #expect(refused?.status.code == 431 && sent.count == 65, "\(String(describing: refused)) at \(sent.count)")
    }
}
