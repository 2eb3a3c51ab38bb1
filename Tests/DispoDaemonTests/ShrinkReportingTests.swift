import DispoConfig
import DispoEngine
import DispoHost
import Foundation
import Logging
import Synchronization
import Testing

@testable import DispoDaemon

/// A preload's memory shrink in the controller's log and event stream: the lines the end-to-end test reads.
struct ShrinkReportingTests {
    static let action = Action(.create, .preload, template: "default-dvm", name: nil, reason: .refill, detail: "")
    static let record = ShrinkRecord(
        result: .reached, before: .mebibytes(600), after: .mebibytes(325), target: .mebibytes(325),
        reportedUse: .mebibytes(250), seconds: 0.3004)

    @Test func aShrinkIsOneLogLineAndOneEvent() async throws {
        let lines = LogHandlerTests.Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .text, journal: true, sink: lines.append)
        }
        let activity = Activity()
        activity.record(.shrunk(Self.action, name: "disp12", Self.record), logger: logger)
        #expect(lines.all == [
            "<6>memory shrunk action=create after_kib=332800 before_kib=614400 object=disp12 reason=refill "
                + "reported_use_kib=256000 result=reached role=preload seconds=0.3 target_kib=332800 template=default-dvm"
        ])
        let events = await activity.events.events(after: 0, waiting: .zero)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.type == .shrunk && event.object == "disp12" && event.template == "default-dvm")
        #expect(event.shrink == Self.record && event.seconds == 0.3)
        #expect(event.line.hasSuffix(
            " shrunk disp12 action=create role=preload template=default-dvm reason=refill seconds=0.3 result=reached "
                + "before_kib=614400 after_kib=332800 target_kib=332800 reported_use_kib=256000"), "\(event.line)")
    }

    @Test func theEventsJSONCarriesTheMeasurement() throws {
        var event = ControllerEvent(.shrunk, object: "disp12", template: "default-dvm")
        event.shrink = Self.record
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
        #expect(json.contains(
            #""shrink":{"after_kib":332800,"before_kib":614400,"reported_use_kib":256000,"result":"reached","seconds":0.3,"target_kib":332800}"#),
            "\(json)")
        #expect(try JSONDecoder().decode(ControllerEvent.self, from: Data(json.utf8)) == event)
    }

    @Test func aGuestThatDidNotReportIsLoggedWithoutATarget() {
        let lines = LogHandlerTests.Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .text, journal: true, sink: lines.append)
        }
        let record = ShrinkRecord(result: .notReported, before: .mebibytes(600), after: .mebibytes(600), seconds: 0)
        Activity().record(.shrunk(Self.action, name: "disp3", record), logger: logger)
        #expect(lines.all == [
            "<6>memory shrunk action=create after_kib=614400 before_kib=614400 object=disp3 reason=refill "
                + "result=not-reported role=preload seconds=0.0 template=default-dvm"
        ])
    }
}
