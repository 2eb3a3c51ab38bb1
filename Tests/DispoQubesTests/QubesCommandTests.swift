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

    @Test func commandsWithoutAQubesPathRefuseIt() throws {
        let directory = try TemporaryDirectory()
        let outcome = try BinaryRunner.run(
            ["watch", "-c", "examples/qubes", "--host", "qubes:\(directory.path)/qubesd.sock",
             "--socket", directory.path + "/dispo.sock"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("no Qubes path"), "\(outcome.stderr)")
    }

    @Test func anEmptySocketPathIsRefused() throws {
        let outcome = try BinaryRunner.run(["diff", "-c", "examples/qubes", "--host", "qubes:"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("--host qubes:SOCKET needs a path"), "\(outcome.stderr)")
    }
}
