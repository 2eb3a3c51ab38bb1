import DispoHost
import DispoTestKit
import Foundation
import Testing

/// `dispo diff` beside a running `dispo watch`, as a user runs it: the preload the controller is making shows in
/// flight, never "interrupted; remove it"; with no controller the plan is the host's alone, as before; beside a
/// holder without an API its half-made domains are taken as its work. The host boots for 10 minutes, so the
/// controller's first creation stays half-made for the whole test.
@Suite(.serialized)
struct DiffBesideControllerTests {
    let directory: TemporaryDirectory
    var config: String { directory.path + "/config" }
    var hostPath: String { directory.path + "/host.json" }
    var host: String { "sim:\(hostPath)" }

    init() throws {
        directory = try TemporaryDirectory()
        let quickstart = try String(
            contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml", encoding: .utf8)
        try directory.write("config/dispo.yaml", quickstart)
        try directory.write("more/dispo.yaml", quickstart.replacingOccurrences(of: "max: 2 ", with: "max: 3 "))
        #expect(try BinaryRunner.run(["sim", "init", "--boot", "10m", "--host", host]).status == 0)
    }

    func diff(_ arguments: [String] = [], config: String? = nil) throws -> (BinaryRunner.Outcome, [String: Any]) {
        let outcome = try BinaryRunner.run(["diff", "--host", host, "-c", config ?? self.config] + arguments)
        let json = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any]
        return (outcome, json ?? [:])
    }

    /// The preloads half-made on the host (`sim ls` rows in stage creating or starting).
    func halfMade() throws -> [String] {
        try BinaryRunner.run(["sim", "ls", "--host", host]).stdout.split(separator: "\n").filter {
            $0.contains(" preload ") && ($0.contains(" starting ") || $0.contains(" creating "))
        }.compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    static func names(_ json: [String: Any], _ key: String) -> [String] {
        (json[key] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func kind(_ json: [String: Any]) -> String? {
        (json["source"] as? [String: Any])?["kind"] as? String
    }

    @Test func inFlightBesideTheControllerInterruptedWithoutIt() async throws {
        let daemon = try RunningBinary(
            ["watch", "-c", config, "--host", host, "--socket", directory.path + "/dispo.sock"],
            logPath: directory.path + "/watch.log")
        #expect(try await eventually { try !halfMade().isEmpty }, "\(daemon.log)")
        let name = try #require(try halfMade().first)

        let (jsonOutcome, json) = try diff(["--json"])
        #expect(jsonOutcome.status == 2, "the second preload is still to make: \(jsonOutcome.stdout)")
        #expect(Self.kind(json) == "controller", "\(jsonOutcome.stdout)")
        #expect(Self.names(json, "in_flight") == [name], "\(jsonOutcome.stdout)")
        #expect(!Self.names(json, "actions").contains(name), "\(jsonOutcome.stdout)")
        #expect(jsonOutcome.stderr.contains("dispo: using the controller (pid \(daemon.process.processIdentifier))"))

        let (human, _) = try diff()
        #expect(human.status == 2)
        #expect(human.stdout.hasPrefix("plan of the controller (pid \(daemon.process.processIdentifier), "), "\(human.stdout)")
        #expect(human.stdout.contains("in flight (left to the controller)\n  … create preload \(name) (default-dvm)\n"),
            "\(human.stdout)")
        #expect(!human.stdout.contains("interrupted"), "\(human.stdout)")

        let (other, otherJSON) = try diff(["--json"], config: directory.path + "/more")
        #expect(other.status == 2 && Self.kind(otherJSON) == "beside-controller", "\(other.stdout)\(other.stderr)")
        #expect(Self.names(otherJSON, "in_flight") == [name] && !Self.names(otherJSON, "actions").contains(name))

        daemon.signal(SIGKILL)
        #expect(await daemon.wait(seconds: 15) != nil)
        let (alone, aloneJSON) = try diff(["--json"])
        #expect(alone.status == 2 && Self.kind(aloneJSON) == "host", "\(alone.stdout)")
        let destroy = (aloneJSON["actions"] as? [[String: Any]] ?? []).first { $0["name"] as? String == name }
        #expect(destroy?["op"] as? String == "destroy", "killed, its creation is interrupted now: \(alone.stdout)")
        #expect(Self.names(aloneJSON, "in_flight").isEmpty)

        let holder = HostHolder(command: "apply", host: host, config: config, socket: nil, since: "now")
        let lock = try HostLock.acquire(at: hostPath + ".owner", as: holder)
        defer { lock.release() }
        let (held, heldJSON) = try diff(["--json"])
        #expect(held.stderr.contains("dispo: warning: dispo apply (pid \(getpid())"), "\(held.stderr)")
        #expect(Self.kind(heldJSON) == "beside-holder" && Self.names(heldJSON, "in_flight") == [name], "\(held.stdout)")
        #expect(!Self.names(heldJSON, "actions").contains(name), "\(held.stdout)")
    }
}
