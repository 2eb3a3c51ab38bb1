import DispoHost
import DispoTestKit
import Foundation
import Logging
import Testing

@testable import DispoDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// What a hostile or broken client can do to the API socket: every request is answered or refused within the
/// limits, the connection is closed after a refusal, and `/v1/ping` keeps being answered meanwhile.
@Suite(.serialized)
struct APIHostileInputTests {
    /// An API server with `limits` (short times, so that timeouts are seen quickly) and no controller loop.
    final class Served {
        let world: ControllerWorld
        let directory: TemporaryDirectory
        let server: Task<Void, any Error>
        let socket: String

        init(_ limits: RequestHead.Limits = .init(), _ yaml: String = requestConfig) async throws {
            world = ControllerWorld(yaml)
            directory = try TemporaryDirectory()
            socket = directory.path + "/api.sock"
            let api = APIServer(
                path: socket, group: nil, controller: world.controller, config: "/test", limits: limits,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            server = Task { try await api.run() }
            let socket = self.socket
            #expect(await eventually { await APIClient.isServing(socket) }, "the API serves")
        }

        func ping() async -> Int {
            (try? await APIClient.send("GET", "/v1/ping", socket: socket).status) ?? 0
        }

        func stop() async {
            server.cancel()
            _ = await server.result
        }
    }

    static func short() -> RequestHead.Limits {
        var limits = RequestHead.Limits()
        limits.requestSeconds = 0.5
        limits.idleSeconds = 0.5
        return limits
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let served = try await Served()
        let path = served.socket
        let ping = "GET /v1/ping HTTP/1.1\r\nHost: a\r\n\r\n"
        let answer = await offPool {
            rawExchange(path, ping + ping + "GET /nothing HTTP/1.1\r\n\r\n" + ping.replacingOccurrences(
                of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n"))
        }
        let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        #expect(statuses == ["200", "200", "404", "200"], "\(answer)")
        await served.stop()
    }

    @Test func aHugeRequestLineOrHeadIsRefusedAtOnce() async throws {
        let served = try await Served()
        let path = served.socket
        let longPath = "GET /" + String(repeating: "a", count: 1024 * 1024) + " HTTP/1.1\r\n\r\n"
        let line = await offPool { rawExchange(path, longPath) }
        #expect(line.hasPrefix("HTTP/1.1 414") && line.contains("8192 bytes"), "\(line.prefix(300))")
        let bigField = "GET /v1/ping HTTP/1.1\r\nX: " + String(repeating: "b", count: 20 * 1024) + "\r\n\r\n"
        let field = await offPool { rawExchange(path, bigField) }
        #expect(field.hasPrefix("HTTP/1.1 431"), "\(field.prefix(300))")
        let manyFields = "GET /v1/ping HTTP/1.1\r\n" + String(repeating: "X: b\r\n", count: 100_000) + "\r\n"
        let fields = await offPool { rawExchange(path, manyFields) }
        #expect(fields.hasPrefix("HTTP/1.1 431"), "\(fields.prefix(300))")
        // A 10 KB field is within the limits: answered, not left hanging.
        let tenKB = "GET /v1/ping HTTP/1.1\r\nX: " + String(repeating: "b", count: 10 * 1024)
            + "\r\nConnection: close\r\n\r\n"
        let answered = await offPool { rawExchange(path, tenKB) }
        #expect(answered.hasPrefix("HTTP/1.1 200"), "\(answered.prefix(300))")
        #expect(await served.ping() == 200)
        await served.stop()
    }

    @Test func aBodyOverTheLimitIsRefusedUnreadAndTheConnectionCloses() async throws {
        let served = try await Served()
        let path = served.socket
        let result = await offPool { () -> (String, Bool) in
            guard let socket = RawSocket(path) else { return ("connect failed", false) }
            socket.send("POST /v1/disposables HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n")
            socket.send([UInt8](repeating: 0x61, count: 64 * 1024))
            return socket.readToEnd()
        }
        #expect(result.0.hasPrefix("HTTP/1.1 413") && result.0.contains("Connection: close"), "\(result.0)")
        #expect(result.1, "the connection is closed after the refusal")
        #expect(await served.ping() == 200)
        await served.stop()
    }

    @Test func aRequestThatNeverCompletesIs408() async throws {
        let served = try await Served(Self.short())
        let path = served.socket
        for unfinished in [
            "GET /v1/ping HTTP/1.1\r\nHost: a\r\n",  // no empty line
            "POST /v1/disposables HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}",  // a body shorter than it says
        ] {
            let (text, closed) = await offPool { () -> (String, Bool) in
                guard let socket = RawSocket(path) else { return ("connect failed", false) }
                socket.send(unfinished)
                return socket.readToEnd()
            }
            #expect(text.hasPrefix("HTTP/1.1 408") && closed, "\(unfinished.debugDescription): \(text)")
        }
        await served.stop()
    }

    /// Slowloris: a byte every 50 ms never makes a request, and holds the connection only for the request time;
    /// pings are answered all along.
    @Test func aSlowClientIsCutOffWhilePingsAreAnswered() async throws {
        let served = try await Served(Self.short())
        let path = served.socket
        let slow = Task {
            await offPool { () -> (String, Bool) in
                guard let socket = RawSocket(path) else { return ("connect failed", false) }
                for byte in "GET /v1/ping HTTP/1.1\r\nX-Slow: ".utf8 {
                    guard socket.send([byte]) else { break }
                    usleep(50_000)
                }
                while socket.send([UInt8(ascii: "a")]) { usleep(50_000) }
                return socket.readToEnd()
            }
        }
        var pings: [Int] = []
        for _ in 0..<5 { pings.append(await served.ping()) }
        let (text, closed) = await slow.value
        #expect(pings.allSatisfy { $0 == 200 }, "\(pings)")
        #expect(text.hasPrefix("HTTP/1.1 408") && closed, "\(text)")
        await served.stop()
    }

    @Test func anIdleConnectionIsClosed() async throws {
        let served = try await Served(Self.short())
        let path = served.socket
        let (text, closed) = await offPool { () -> (String, Bool) in
            guard let socket = RawSocket(path) else { return ("connect failed", false) }
            return socket.readToEnd()
        }
        #expect(text.isEmpty && closed, "closed without an answer: \(text)")
        await served.stop()
    }

    /// A flood of idle connections cannot keep a ping out: the one waiting longest gives way.
    @Test func idleConnectionsGiveWayToNewOnes() async throws {
        var limits = RequestHead.Limits()
        limits.connections = 4
        let served = try await Served(limits)
        var held: [RawSocket] = []
        for _ in 0..<4 { held.append(try #require(RawSocket(served.socket))) }
        #expect(await served.ping() == 200, "a fifth connection takes the oldest idle one's place")
        let oldest = held[0]
        let (text, closed) = await offPool { oldest.readToEnd() }
        #expect(text.isEmpty && closed, "the oldest idle connection was shut")
        await served.stop()
    }

    /// Only when every place has a request in the handler is a new connection refused.
    @Test func connectionsBeyondTheLimitAre503WhenAllAreBusy() async throws {
        var limits = RequestHead.Limits()
        limits.connections = 2
        let served = try await Served(limits, requestConfig.replacingOccurrences(of: "max: 2", with: "max: 0"))
        served.world.start()
        #expect(await served.world.settle { await served.world.controller.desired != nil })
        // Cold starts wait for the boot, in virtual time that does not move: both stay in the handler.
        let socket = served.socket
        let busy = (0..<2).map { _ in
            Task { try? await APIClient.send("POST", "/v1/disposables", socket: socket).status }
        }
        // Both requests are in the handler once their cold starts made their domains.
        let world = served.world
        #expect(await eventually(seconds: 60) { ((try? await world.snapshot.domains.count) ?? 0) >= 2 })
        var seen: [Int] = []
        let refused = await eventually(seconds: 30) {
            seen.append(await served.ping())
            return seen.last == 503
        }
        served.world.clock.advance(by: 120)
        var answered: [Int?] = []
        for request in busy { answered.append(await request.value) }
        #expect(refused, "no place is free: pings answered \(Set(seen)), the requests \(answered)")
        #expect(await served.ping() == 200)
        await served.world.stop()
        await served.stop()
    }

    /// The socket appears with its final mode: bound under a temporary name, restricted, listening, then renamed.
    @Test func theSocketHasItsModeWhenItAppearsAndNothingIsLeftBehind() async throws {
        let served = try await Served()
        var info = stat()
        #expect(lstat(served.socket, &info) == 0 && info.st_mode & 0o777 == 0o660, "mode \(String(info.st_mode & 0o777, radix: 8))")
        let names = try FileManager.default.contentsOfDirectory(atPath: served.directory.path)
        #expect(names == ["api.sock"], "\(names)")
        await served.stop()
        #expect(access(served.socket, F_OK) != 0, "removed on stop")

        let directory = try TemporaryDirectory()
        let api = APIServer(
            path: directory.path + "/api.sock", group: "no-such-group-\(getpid())", controller: served.world.controller,
            config: "/test", logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        await #expect(throws: SocketPathError.self) { try await api.run() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "no socket, no temporary")
    }
}
