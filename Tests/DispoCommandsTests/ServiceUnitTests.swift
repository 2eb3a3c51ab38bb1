import DispoTestKit
import Foundation
import Testing

/// `dispo watch` as systemd runs it (`Type=notify`, `WatchdogSec=`), played by the test: the built binary with
/// `$NOTIFY_SOCKET` pointing at a datagram socket the test binds, real signals; the unit file checked by
/// `systemd-analyze verify`; `--version` naming the commit.
@Suite(.serialized)
struct ServiceUnitTests {
    @Test func watchTellsSystemdReadyReloadingStoppingAndPingsTheWatchdog() async throws {
        let directory = try TemporaryDirectory()
        let quickstart = try String(
            contentsOfFile: BinaryRunner.packageRoot + "/examples/quickstart/dispo.yaml", encoding: .utf8)
        try directory.write("config/dispo.yaml", quickstart)
        let host = "sim:\(directory.path)/host.json"
        #expect(try BinaryRunner.run(["sim", "init", "--boot", "200ms", "--host", host]).status == 0)
        let notify = try NotifySocket(abstract: true)
        let daemon = try RunningBinary(
            ["watch", "-c", directory.path + "/config", "--host", host, "--socket", directory.path + "/dispo.sock"],
            logPath: directory.path + "/watch.log",
            environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "1000000"])
        #expect(await eventually(seconds: 30) { !notify.messages(with: "READY=1").isEmpty }, "\(daemon.log)")
        let ready = try #require(notify.messages(with: "READY=1").first)
        #expect(ready.contains("STATUS=queues default-dvm "), "\(ready)")
        let first = notify.messages.first { !$0.hasPrefix("WATCHDOG=1") }
        #expect(first == ready, "READY is the first message (besides pings): \(notify.messages)")
        // Pings every half second from the loop.
        #expect(await eventually(seconds: 10) { notify.messages(with: "WATCHDOG=1").count >= 3 })

        // systemctl reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 after the rescan.
        notify.reset()
        daemon.signal(SIGHUP)
        #expect(await eventually(seconds: 10) { !notify.messages(with: "READY=1").isEmpty }, "\(daemon.log)")
        let reload = notify.messages.filter { !$0.hasPrefix("WATCHDOG=1") }
        #expect(reload.first?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true, "\(reload)")
        #expect(
            reload.firstIndex { $0.contains("READY=1") } ?? 0 > reload.firstIndex { $0.contains("RELOADING=1") } ?? 0)

        // A stopped (wedged) process pings no more; once continued, it does again.
        daemon.signal(SIGSTOP)
        try await Task.sleep(for: .milliseconds(300))
        notify.reset()
        try await Task.sleep(for: .seconds(2))
        #expect(notify.messages(with: "WATCHDOG=1").isEmpty)
        daemon.signal(SIGCONT)
        #expect(await eventually(seconds: 10) { !notify.messages(with: "WATCHDOG=1").isEmpty })

        // systemctl stop: STOPPING=1, then a clean exit.
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(seconds: 30) == 0, "\(daemon.log)")
        #expect(notify.messages(with: "STOPPING=1").count == 1, "\(notify.messages)")
    }

    @Test func withoutNotifySocketNothingChanges() async throws {
        let outcome = try BinaryRunner.run(["watch", "--help"], environment: ["WATCHDOG_USEC": "1000000"])
        #expect(outcome.status == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitPassesSystemdAnalyzeVerify() throws {
        let directory = try TemporaryDirectory()
        let template = try String(
            contentsOfFile: BinaryRunner.packageRoot + "/dist/systemd/dispo.service.in", encoding: .utf8)
        let binaryDirectory = (BinaryRunner.binary as NSString).deletingLastPathComponent
        let unit = template.replacingOccurrences(of: "@BINDIR@", with: binaryDirectory)
            .replacingOccurrences(of: "@SYSCONFDIR@", with: "/etc")
        #expect(unit.firstMatch(of: /@[A-Z]+@/) == nil, "every placeholder is filled")
        let path = try directory.write("dispo.service", unit)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        // The man pages the unit names are checked where they are installed (make verify-unit), not here.
        process.arguments = ["verify", "--man=no", path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        let complaints = output.split(separator: "\n").filter { $0.contains("dispo.service") }
        #expect(complaints.isEmpty, "\(output)")
    }

    @Test func versionNamesTheCommit() throws {
        let outcome = try BinaryRunner.run(["--version"])
        #expect(outcome.status == 0)
        let line = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.wholeMatch(of: /\d+\.\d+\.\d+ \(commit (unknown|[0-9a-f]{7,40}(-dirty)?)\)/) != nil, "\(line)")
    }
}
