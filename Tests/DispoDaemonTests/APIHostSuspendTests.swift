import DispoDaemon
import DispoEngine
import DispoHost
import DispoTestKit
import Foundation
import Testing

/// `POST /v1/host/suspend` and `POST /v1/host/resume` on the socket, with the status and metrics that show the hold.
@Suite(.serialized)
struct APIHostSuspendTests {
    /// A call that may take virtual time (the suspend waits for its removals), stepping the clock meanwhile.
    static func call(
        _ served: APIServerTests.Served, _ method: String, _ path: String, _ body: String = ""
    )
        async throws -> (Int, [String: Any])
    {
        let socket = served.socket
        let clock = served.world.clock
        let reply = try await withThrowingTaskGroup(of: APIClient.Reply?.self) { group in
            group.addTask { try await APIClient.send(method, path, body: Data(body.utf8), socket: socket) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(2))
                    clock.advance(by: 0.05)
                }
                return nil
            }
            var reply: APIClient.Reply?
            while reply == nil, let next = try await group.next() { reply = next }
            group.cancelAll()
            return reply
        }
        let json = reply.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] } ?? [:]
        return (reply?.status ?? 0, json)
    }

    @Test func suspendAndResumeRoutes() async throws {
        let served = try await APIServerTests.Served()
        let world = served.world
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })

        let (code, suspend) = try await Self.call(served, "POST", "/v1/host/suspend", #"{"timeout": 30}"#)
        #expect(code == 200, "\(suspend)")
        #expect(Set(suspend.keys) == ["suspended", "since", "removed", "left", "seconds", "via"])
        #expect(suspend["removed"] as? Int == 2)
        #expect((suspend["left"] as? [String])?.isEmpty == true)
        #expect(suspend["via"] as? String == "controller")
        #expect(try await world.snapshot.domains.isEmpty)

        let (statusCode, status) = try await served.call("GET", "/v1/status")
        #expect(statusCode == 200)
        let report = try JSONDecoder().decode(StatusReport.self, from: Data(status.utf8))
        #expect(report.suspend?.limit == HostSuspension.limit, "\(status)")
        let (_, metrics) = try await served.call("GET", "/metrics")
        #expect(metrics.contains("dispo_host_suspended 1"), "\(metrics)")
        let (_, plan) = try await served.call("GET", "/v1/plan")
        #expect(plan.contains(#""reason" : "suspend""#), "\(plan)")

        let (resumeCode, resume) = try await Self.call(served, "POST", "/v1/host/resume")
        #expect(resumeCode == 200, "\(resume)")
        #expect(Set(resume.keys) == ["suspended", "was_suspended", "held_seconds", "refilling", "via"])
        #expect(resume["was_suspended"] as? Bool == true && resume["refilling"] as? Bool == true)
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let (_, after) = try await served.call("GET", "/metrics")
        #expect(after.contains("dispo_host_suspended 0"), "\(after)")
        await served.stop()
    }

    @Test(arguments: [
        (#"{"timeout": 0}"#, "timeout must be more than 0"), (#"{"timeout": 601}"#, "at most 600 seconds"),
        (#"{"timeout": "45s"}"#, "timeout must be a number"), (#"{"wait": 1}"#, #"unknown field \"wait\""#),
        ("[1]", "must be a JSON object"), ("{", "must be a JSON object"),
    ])
    func badSuspendBodiesAre400(body: String, message: String) async throws {
        let served = try await APIServerTests.Served()
        let (code, reply) = try await served.call("POST", "/v1/host/suspend", body)
        #expect(code == 400, "\(reply)")
        #expect(reply.contains(message), "\(reply)")
        #expect(try await served.world.snapshot.metadata[HostMetadataKey.suspend] == nil, "nothing was held")
        await served.stop()
    }

    @Test func wrongMethodsAre405() async throws {
        let served = try await APIServerTests.Served(start: false)
        for path in ["/v1/host/suspend", "/v1/host/resume"] {
            let (status, text) = try await served.call("GET", path)
            #expect(status == 405 && text.contains("use POST"), "\(path): \(text)")
        }
        await served.stop()
    }
}
