import DispoQubes
import Foundation
import Testing

/// The wire format of qubesd's Admin API: request frames, replies, the event stream.
struct AdminProtocolTests {
    @Test func aCallIsFramedAsQubesdReadsIt() {
        let call = AdminCall("admin.vm.property.Set", "default-dvm", argument: "memory", payload: "400")
        #expect(call.frame == Array("admin.vm.property.Set+memory dom0 name default-dvm\0400".utf8))
        #expect(AdminCall("admin.vm.List").frame == Array("admin.vm.List+ dom0 name dom0\0".utf8))
    }

    @Test func aNameWithASpaceIsRefusedBeforeAnythingIsSent() async {
        let transport = RecordingTransport(reply: Array("0\0".utf8))
        let client = AdminClient(transport: transport)
        await #expect(throws: QubesError.self) { try await client.call("admin.vm.Start", "bad name") }
        #expect(transport.sent.isEmpty)
        #expect(client.callCount == 0)
    }

    @Test func anOKReplyIsItsBody() async throws {
        let client = AdminClient(transport: RecordingTransport(reply: Array("0\0disp1234".utf8)))
        #expect(try await client.call("admin.vm.CreateDisposable", "default-dvm") == "disp1234")
        #expect(client.calls == ["admin.vm.CreateDisposable": 1])
    }

    @Test func anExceptionCarriesQubesdsTypeAndMessage() async {
        let reply = Array("2\0QubesVMNotFoundError\0\0No such domain: 'x'\0".utf8)
        let client = AdminClient(transport: RecordingTransport(reply: reply))
        do {
            _ = try await client.call("admin.vm.Start", "x")
            Issue.record("no error")
        } catch {
            #expect(error.code == .refused)
            #expect(error.exceptionType == "QubesVMNotFoundError")
            #expect(error.message == "No such domain: 'x'")
            #expect(error.description == "admin.vm.Start+ x: QubesVMNotFoundError: No such domain: 'x'")
        }
    }

    @Test(arguments: [
        ("", QubesError.Code.daemonFailure), ("0", .malformedReply), ("7\0", .malformedReply),
        ("2\0OnlyType", .malformedReply),
    ])
    func badRepliesAreErrorsNamingTheCall(reply: String, code: QubesError.Code) async {
        let client = AdminClient(transport: RecordingTransport(reply: Array(reply.utf8)))
        do {
            _ = try await client.call("admin.vm.List")
            Issue.record("no error for \(reply.debugDescription)")
        } catch {
            #expect(error.code == code)
            #expect(error.call == "admin.vm.List+ dom0")
        }
    }

    @Test func eventsAreParsedAcrossAnyChunking() throws {
        let stream = Array(
            ("1\0\0connection-established\0\0"
                + "1\0default-dvm\0domain-feature-set:preload-dispvm-max\0feature\0preload-dispvm-max\0value\u{0}2\0\0"
                + "1\0disp12\0domain-paused\0\0").utf8)
        let expected = [
            AdminEvent(subject: "", name: "connection-established"),
            AdminEvent(subject: "default-dvm", name: "domain-feature-set:preload-dispvm-max",
                arguments: ["feature": "preload-dispvm-max", "value": "2"]),
            AdminEvent(subject: "disp12", name: "domain-paused"),
        ]
        for size in [1, 2, 3, 7, stream.count] {
            var parser = AdminEventParser()
            var events: [AdminEvent] = []
            var offset = 0
            while offset < stream.count {
                events += try parser.feed(Array(stream[offset..<min(offset + size, stream.count)]))
                offset += size
            }
            #expect(events == expected, "chunks of \(size)")
            #expect(!parser.hasPartialEvent)
        }
    }

    @Test func anExceptionInPlaceOfEventsIsThrown() {
        var parser = AdminEventParser()
        #expect(throws: QubesError.self) { try parser.feed(Array("2\0PermissionDenied\0\0denied\0".utf8)) }
    }

    @Test func eventsComeOverTheClient() async throws {
        let bytes = Array("1\0\0connection-established\0\01\0sys-net\0domain-start\0start_guid\0True\0\0".utf8)
        let client = AdminClient(transport: RecordingTransport(reply: bytes))
        var events: [AdminEvent] = []
        for try await event in client.events() { events.append(event) }
        #expect(events.map(\.name) == ["connection-established", "domain-start"])
        #expect(events.last?.arguments == ["start_guid": "True"])
    }
}

/// Answers every request with one reply and keeps what was sent.
final class RecordingTransport: AdminTransport, @unchecked Sendable {
    // only touched from the test's one task at a time
    private(set) var sent: [[UInt8]] = []
    let reply: [UInt8]

    init(reply: [UInt8]) {
        self.reply = reply
    }

    func exchange(_ frame: [UInt8]) async throws(QubesError) -> [UInt8] {
        sent.append(frame)
        return reply
    }

    func stream(_ frame: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        sent.append(frame)
        let reply = self.reply
        return AsyncThrowingStream { continuation in
            for byte in reply { continuation.yield([byte]) }
            continuation.finish()
        }
    }
}
