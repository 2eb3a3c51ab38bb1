import DispoFuzzTargets
import Foundation
import Testing

/// Every input kept in `Fuzz/corpus/TARGET/` (the seeds and each finding's reproducer) runs through its target in
/// `swift test`: a crash that a fuzz run found and that was fixed stays fixed.
struct CorpusReplayTests {
    /// Runs `target` on a thread of its own: the request target blocks until its connection is served, which must
    /// not hold one of the cooperative threads that serve it.
    func run(_ target: FuzzTarget, _ bytes: [UInt8]) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: target.run(bytes)) }
        }
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func theCorpusRunsThroughItsTarget(target: FuzzTarget) async throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count >= 3, "a corpus of seeds for \(target.rawValue)")
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let outcome = await run(target, Array(data))
            #expect(!outcome.isEmpty, "\(name)")
        }
    }

    /// The request target's own check: it fails (precondition) on an answer that is not framed HTTP; these show
    /// what it sees for ordinary and hostile inputs.
    @Test func requestsAreAnsweredInFramedResponses() async {
        #expect(await run(.request, Array("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n".utf8)) == "2 responses")
        #expect(await run(.request, Array("GET /a HTTP/1.1\r\nContent-Length: x\r\n\r\n".utf8)) == "1 responses")
        #expect(await run(.request, Array("GET /a HTTP/1.1\r\n".utf8)) == "0 responses", "a client gone mid-request")
        #expect(await run(.request, []) == "0 responses")
    }

    @Test func simStateErrorsSayWhatToDo() async {
        #expect(await run(.simState, Array("{".utf8)).hasPrefix("error: the sim state file fuzz.json is unreadable"))
    }
}
