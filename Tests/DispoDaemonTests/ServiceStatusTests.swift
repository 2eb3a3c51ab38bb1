import DispoDaemon
import DispoEngine
import Foundation
import Testing

/// The `STATUS=` line: queues ready/max, named disposables running, errors; totals once the templates are many.
struct ServiceStatusTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var templates: [(String, Int, Int)]
        var named: [(String?, String)] = []
        var configErrors = 0
        var waits: [Wait] = []
        var inForce = true
        var line: String
        var testDescription: String { line }
    }

    static let examples: [Example] = [
        Example(templates: [("default-dvm", 2, 2)], line: "queues default-dvm 2/2; no errors"),
        Example(
            templates: [("default-dvm", 2, 2), ("work", 1, 3)], named: [("running", "running"), (nil, "halted")],
            line: "queues default-dvm 2/2, work 1/3; named 1/1 running; no errors"),
        Example(
            templates: (1...5).map { ("t\($0)", 1, 2) }, named: [("running", "halted")], configErrors: 2,
            waits: [
                Wait(subject: "t1", kind: .backoff(until: 9), detail: "failed"),
                Wait(subject: "sys-net", kind: .conflict, detail: "taken"),
            ],
            line: "queues 5/10 ready in 5 templates; named 0/1 running; config: 2 errors (last good config in force); "
                + "1 failing (backing off); 1 blocked (see dispo status)"),
        Example(
            templates: [], configErrors: 1, inForce: false,
            line: "no config in force; config: 1 error (nothing applied)"),
        Example(templates: [], line: "no preload queues; no errors"),
        Example(
            templates: [("default-dvm", 0, 2)],
            waits: [Wait(subject: "default-dvm", kind: .suspended, detail: "held"),
                Wait(subject: "work", kind: .suspended, detail: "held")],
            line: "queues default-dvm 0/2; preloads held for a host suspend; no errors"),
    ]

    @Test(arguments: examples)
    func summarises(_ example: Example) throws {
        let templates = example.templates.map { name, ready, max in
            #"{"name": "\#(name)", "preload": {"max": \#(max), "ready": \#(ready), "starting": 0, "queue": []}}"#
        }
        let named = example.named.enumerated().map { index, part in
            let desired = part.0.map { "\"\($0)\"" } ?? "null"
            return #"{"name": "n\#(index)", "desired": \#(desired), "state": "\#(part.1)", "up_to_date": true}"#
        }
        let decoder = JSONDecoder()
        let templateParts = try decoder.decode(
            [StatusReport.TemplatePart].self, from: Data("[\(templates.joined(separator: ","))]".utf8))
        let namedParts = try decoder.decode(
            [StatusReport.NamedPart].self, from: Data("[\(named.joined(separator: ","))]".utf8))
        let line = ServiceStatus.line(
            templates: templateParts, named: namedParts, configErrors: example.configErrors,
            plan: Plan(waits: example.waits), inForce: example.inForce)
        #expect(line == example.line)
        #expect(!line.contains("\n"))
    }
}
