import DispoTestKit
import Foundation
import Testing

/// `--host qubes` in the CLI without a qubesd: clear refusals, nothing changed.
struct QubesCommandTests {
    @Test func noQubesdIsAClearErrorNamingTheSocket() throws {
        let directory = try TemporaryDirectory()
        let socket = directory.path + "/qubesd.sock"
        for command in [["diff"], ["apply"], ["status"], ["request"]] {
            let outcome = try BinaryRunner.run(command + ["-c", "examples/qubes", "--host", "qubes:\(socket)"])
            #expect(outcome.status == 1, "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("\(socket): cannot connect"), "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("is qubesd running?"))
        }
    }

    @Test func eventsWithoutAQubesControllerIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let outcome = try BinaryRunner.run(["events", "--host", "qubes:\(directory.path)/qubesd.sock"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("no controller answers for this host"), "\(outcome.stderr)")
    }

    /// Without qubesd the Qubes controller still starts, serves its socket (status is a 500 naming the socket,
    /// a request refused) and stops cleanly on SIGTERM, removing its socket.
    @Test func watchWithoutQubesdServesAndStopsCleanly() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.path + "/dispo.sock"
        let watch = try RunningBinary(
            ["watch", "-c", "examples/qubes", "--host", "qubes:\(directory.path)/qubesd.sock", "--socket", socket],
            logPath: directory.path + "/watch.log")
        #expect(await eventually(seconds: 20) { FileManager.default.fileExists(atPath: socket) }, "\(watch.log)")
        let status = try BinaryRunner.run(["status", "--socket", socket])
        #expect(status.status == 1)
        #expect(status.stderr.contains("cannot connect"), "\(status.stderr)")
        #expect(await eventually(seconds: 10) { watch.log.contains("cannot read qubesd; retrying") }, "\(watch.log)")
        watch.signal(SIGTERM)
        #expect(await watch.wait(seconds: 20) == 0, "\(watch.log)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func anEmptySocketPathIsRefused() throws {
        let outcome = try BinaryRunner.run(["diff", "-c", "examples/qubes", "--host", "qubes:"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("--host qubes:SOCKET needs a path"), "\(outcome.stderr)")
    }
}
