@testable import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import FlyingSocks
import Foundation
import Synchronization
import Testing

/// `GET /v1/events` and the history kept on the host, on a simulated host in virtual time.
@Suite(.serialized)
struct EventStreamTests {
    /// The events one client has received so far.
    final class Received: Sendable {
        private let events = Mutex<[ControllerEvent]>([])
        func append(_ event: ControllerEvent) { events.withLock { $0.append(event) } }
        var all: [ControllerEvent] { events.withLock { $0 } }
        var types: [ControllerEvent.Kind] { all.map(\.type) }
    }

    @Test func aClientSeesActionsHandOutsReleasesAndConfigChangesInOrder() async throws {
        let served = try await APIServerTests.Served(start: false)
        let received = Received()
        let socket = served.socket
        let follower = Task { () -> String? in
            do {
                for try await event in APIClient.events(since: 0, socket: socket) { received.append(event) }
                return nil
            } catch {
                return "\(error)"
            }
        }
        served.world.start()
        #expect(try await served.world.settle { try await served.world.queue("default-dvm").count == 2 })
        #expect(await eventually { received.types.contains(.reconciled) }, "\(received.types)")
        let (status, handout) = try await served.request(#"{"target": "default-dvm"}"#)
        #expect(status == 201)
        let name = try #require(handout["name"] as? String)
        #expect(try await served.call("DELETE", "/v1/disposables/\(name)").0 == 200)
        served.world.edit(requestConfig.replacingOccurrences(of: "max: 2", with: "max: 3"))
        served.world.controller.trigger(.configChanged)
        #expect(await served.world.settle { received.types.contains(.configLoaded) && received.all.count(where: { $0.type == .configLoaded }) == 2 })
        #expect(await eventually { received.types.contains(.released) }, "\(received.types)")

        let all = received.all
        #expect(all.map(\.seq) == Array(1...all.count), "numbered without gaps")
        #expect(all.first?.type == .configLoaded && all.first?.added?.contains("DisposableTemplate/default-dvm") == true)
        let done = all.filter { $0.type == .done && $0.action == "create" }
        #expect(done.count >= 2 && done.allSatisfy { $0.role == "preload" && $0.template == "default-dvm" })
        let handedOut = try #require(all.first { $0.type == .handedOut })
        #expect(handedOut.object == name && handedOut.preloaded == true)
        let released = try #require(all.first { $0.type == .released })
        #expect(released.object == name && released.seq > handedOut.seq)
        let reload = try #require(all.last { $0.type == .configLoaded })
        #expect(reload.changed == ["DisposableTemplate/default-dvm"] && reload.added == nil, "\(reload)")

        // A late client replays what it missed after a number.
        var replay: [ControllerEvent] = []
        for try await event in APIClient.events(since: handedOut.seq - 1, socket: socket) {
            replay.append(event)
            if replay.count == 2 { break }
        }
        #expect(replay.map(\.seq) == [handedOut.seq, handedOut.seq + 1])
        follower.cancel()
        #expect(await follower.value == nil, "the follower saw no error")
        await served.stop()
    }

    @Test func withoutWaitTheEventsStreamAsJSONLinesOnOneConnection() async throws {
        let served = try await APIServerTests.Served()
        let socket = try await AsyncSocket.connected(to: sockaddr_un.unix(path: served.socket))
        try await socket.write(Data("GET /v1/events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        var text = ""
        var bytes = socket.bytes.makeAsyncIterator()
        while !text.contains("\"type\":\"config-loaded\"") {
            guard let chunk = try await bytes.nextBuffer(suggested: 4096) else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
        #expect(text.lowercased().contains("transfer-encoding: chunked") && text.contains("application/x-ndjson"))
        // The connection stays open: a hand-out made now arrives on it.
        let (status, _) = try await served.request(#"{"target": "default-dvm"}"#)
        #expect(status == 201)
        while !text.contains("\"type\":\"handed-out\"") {
            guard let chunk = try await bytes.nextBuffer(suggested: 4096) else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("\"type\":\"handed-out\""))
        try socket.close()
        await served.stop()
    }

    @Test func aBadSinceIsRefused() async throws {
        let served = try await APIServerTests.Served()
        let (status, body) = try await served.call("GET", "/v1/events?since=minus")
        #expect(status == 400 && body.contains("since must be an event number"), "\(body)")
        await served.stop()
    }

    @Test func theStreamEndsWhenTheControllerStops() async throws {
        let served = try await APIServerTests.Served()
        let socket = served.socket
        let ended = Task { () -> Bool in
            do {
                for try await _ in APIClient.events(since: nil, socket: socket) {}
                return true
            } catch {
                return false
            }
        }
        #expect(await eventually { served.world.controller.activity.events.subscriberCount == 1 })
        await served.world.stop()
        #expect(await ended.value, "a clean end, not an error")
        await served.stop()
    }

    @Test func theHistorySurvivesARestart() async throws {
        let world = ControllerWorld(requestConfig, boot: 2)
        world.start()
        #expect(try await world.settle { try await world.controller.status().history.count >= 1 })
        let kept = try await world.controller.status().history
        await world.stop()
        #expect(try await world.snapshot.metadata[HostMetadataKey.history]?.isEmpty == false)

        let again = ControllerWorld(requestConfig, boot: 2, sharing: world)
        again.start()
        #expect(await again.settle { await again.controller.passes > 0 })
        let history = try await again.controller.status().history
        #expect(Array(history.prefix(kept.count)).map(\.at) == kept.map(\.at), "\(history) vs \(kept)")
        await again.stop()
    }

    @Test func historyRecordsRoundTripAndSkipWhatTheyCannotRead() {
        let entries = [
            StatusReport.HistoryEntry(at: "2026-12-02T10:00:00.000Z", seconds: 0.8, actions: 3, errors: 0),
            StatusReport.HistoryEntry(at: "2026-12-02T10:01:00.000Z", seconds: 12, actions: 1, errors: 1),
        ]
        let text = HistoryRecord.encode(entries)
        #expect(HistoryRecord.decode(text).map(\.at) == entries.map(\.at))
        #expect(HistoryRecord.decode(text + ";garbage;1 2").count == 2)
        let many = (0..<80).map { StatusReport.HistoryEntry(at: "t\($0)", seconds: 1, actions: 1, errors: 0) }
        #expect(HistoryRecord.decode(HistoryRecord.encode(many)).first?.at == "t30", "the newest 50 are kept")
        #expect(HistoryRecord.encode(many).utf8.count < 4096, "fits one xenstore value")
    }
}
