import DispoTestKit
import DispoDaemon
import Foundation
import Logging
import Synchronization
import Testing

/// Log lines: journald priority prefixes under systemd, JSON lines, metadata carried along.
struct LogHandlerTests {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
        func append(_ line: String) { value.withLock { $0.append(line) } }
        var all: [String] { value.withLock { $0 } }
    }

    @Test func journalLinesCarryPriorityPrefixes() {
        let lines = Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .text, level: .debug, journal: true, sink: lines.append)
        }
        logger.error("failed", metadata: ["object": "disp12", "action": "create"])
        logger.info("done")
        logger.debug("started")
        logger.warning("careful", metadata: ["reason": "two words"])
        #expect(lines.all == [
            "<3>failed action=create object=disp12", "<6>done", "<7>started", "<4>careful reason=\"two words\"",
        ])
    }

    /// `$JOURNAL_STREAM` is `DEVICE:INODE` of the stream systemd connected; only that stream gets `<N>` prefixes.
    @Test(arguments: [
        ("64769:1234", true), ("64769:1235", false), ("1:1234", false), ("64769", false), ("x:y", false), ("", false),
    ])
    func journalStreamMustNameStandardError(value: String, matches: Bool) {
        #expect(StandardErrorLogHandler.journalStream(value, matchesDevice: 64769, inode: 1234) == matches)
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let lines = Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .json, level: .info, journal: false, sink: lines.append)
        }
        logger.notice("preload unpaused outside dispo", metadata: ["object": "disp7"])
        logger.debug("not shown")
        #expect(lines.all.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: String])
        #expect(object["level"] == "notice")
        #expect(object["message"] == "preload unpaused outside dispo")
        #expect(object["object"] == "disp7")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }

    @Test func numbersAndFlagsStayNumbersAndFlagsInJSON() throws {
        let lines = Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .json, level: .info, journal: false, sink: lines.append)
        }
        logger.info("handed out", metadata: [
            "object": "disp7", "seconds": .stringConvertible(0.004), "actions": .stringConvertible(3),
            "preloaded": .stringConvertible(true), "revision": "1234",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(object["seconds"] as? Double == 0.004)
        #expect(object["actions"] as? Int == 3)
        #expect(object["preloaded"] as? Bool == true)
        #expect(object["revision"] as? String == "1234", "a string of digits logged as text stays text")
        #expect(lines.all[0].contains("\"actions\":3"))
    }

    @Test func textLinesOnATerminalStartWithATimestamp() {
        let lines = Lines()
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: .text, level: .info, journal: false, sink: lines.append)
        }
        logger.info("watching", metadata: ["config": "/etc/dispo"])
        let line = lines.all.first ?? ""
        #expect(line.hasSuffix(" info watching config=/etc/dispo"))
        #expect(line.first?.isNumber == true)
    }
}
