import DispoConfig
import DispoQubes
import DispoTestKit
import Foundation
import Testing

/// A real qubesd in a sandbox (Tests/qubesd/harness.py), stopped on deinit.
final class Qubesd {
    let sandbox: TemporaryDirectory
    let socket: String
    let client: AdminClient

    /// True when `make test-qubes` (or a user) asked for the scenarios against the real qubesd.
    static let enabled = ProcessInfo.processInfo.environment["DISPO_QUBESD_TESTS"] == "1"

    init() throws {
        sandbox = try TemporaryDirectory()
        let outcome = try Self.harness(["start", sandbox.path + "/qubesd"])
        guard outcome.status == 0 else {
            throw HarnessFailure(message: "harness start failed (\(outcome.status)): \(outcome.stderr)")
        }
        socket = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        client = AdminClient(socketPath: socket)
    }

    deinit {
        _ = try? Self.harness(["stop", sandbox.path + "/qubesd"])
    }

    /// `--host qubes:SOCKET`.
    var host: String { "qubes:\(socket)" }

    /// Runs dispo with `--host` this qubesd, counting its calls (DISPO_QUBES_CALLS=1).
    func dispo(_ arguments: [String]) throws -> BinaryRunner.Outcome {
        try BinaryRunner.run(arguments + ["--host", host], environment: ["DISPO_QUBES_CALLS": "1"])
    }

    func call(_ method: String, _ destination: String = "dom0", argument: String = "", payload: String = "")
        async throws -> String
    {
        try await client.call(method, destination, argument: argument, payload: payload)
    }

    /// The value of a property (`default=... type=... VALUE`).
    func property(_ qube: String, _ name: String) async throws -> String {
        let reply = try await call("admin.vm.property.Get", qube, argument: name)
        return String(reply.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).last ?? "")
    }

    func names() async throws -> Set<String> {
        let list = try await call("admin.vm.List")
        return Set(list.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    struct HarnessFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static func harness(_ arguments: [String]) throws -> BinaryRunner.Outcome {
        try BinaryRunner.run(
            executable: "/usr/bin/env", ["python3", BinaryRunner.packageRoot + "/Tests/qubesd/harness.py"] + arguments)
    }
}

/// A copy of examples/qubes (mode 0755, as dispo wants config directories) to edit in a scenario.
func exampleConfig() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    let source = BinaryRunner.packageRoot + "/examples/qubes"
    for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasSuffix(".yaml") {
        try directory.write(name, String(contentsOfFile: source + "/" + name, encoding: .utf8))
    }
    return directory
}

/// examples/qubes, loaded and validated as dispo does.
func loadExample() throws -> DesiredState {
    let result = ConfigLoader().load(directory: BinaryRunner.packageRoot + "/examples/qubes")
    guard result.isValid else { throw Qubesd.HarnessFailure(message: "examples/qubes does not load: \(result.diagnostics)") }
    return result.state
}
