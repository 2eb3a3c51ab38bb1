import Foundation
import DispoTestKit
import Testing

/// `dispo validate` end to end: exit codes, human and JSON output, `-c` and `$DISPO_CONFIG`.
struct ValidateCommandTests {
    static let broken = """
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work
        template: debian-11
        memroy: 400MiB

        """

    @Test(arguments: ["quickstart", "qubes", "gitops"])
    func examplesAreValid(example: String) throws {
        let outcome = try BinaryRunner.run(["validate", "-c", "examples/\(example)"])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("valid: "))
    }

    /// The e2e scenario's configs as dom0 gets them: e2e.yaml, then with phase 2's guests.yaml beside it.
    @Test func theE2EConfigsAreValid() throws {
        let root = BinaryRunner.packageRoot + "/e2e"
        let e2e = try String(contentsOfFile: root + "/config/e2e.yaml", encoding: .utf8)
        let guests = try String(contentsOfFile: root + "/guests.yaml", encoding: .utf8)
        let dir = try TemporaryDirectory(["e2e.yaml": e2e, "guests.yaml": guests])
        let outcome = try BinaryRunner.run(["validate", "-c", dir.path])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("valid: 13 objects"), "\(outcome.stdout)")
    }

    @Test func invalidConfigExitsOneAndListsEveryError() throws {
        let dir = try TemporaryDirectory(["conf/work.yaml": Self.broken])
        let outcome = try BinaryRunner.run(["validate", "-c", dir.path])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.split(separator: "\n").map(String.init) == [
            "conf/work.yaml:4:11: error: template: no Template named \"debian-11\"",
            "conf/work.yaml:5:1: error: unknown key \"memroy\" in DisposableTemplate; did you mean \"memory\"?",
            "invalid: 2 errors in \(dir.path)",
        ])
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let dir = try TemporaryDirectory(["work.yaml": Self.broken])
        let outcome = try BinaryRunner.run(["validate", "-c", dir.path, "--json"])
        #expect(outcome.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(json["ok"] as? Bool == false)
        #expect(json["objects"] as? Int == 1)
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 2)
        #expect(diagnostics.first?["path"] as? String == "work.yaml")
        #expect(diagnostics.first?["line"] as? Int == 4)
        #expect(diagnostics.first?["column"] as? Int == 11)
        #expect(diagnostics.first?["severity"] as? String == "error")
        #expect((diagnostics.first?["message"] as? String)?.contains("debian-11") == true)
    }

    @Test func validJSONSaysOK() throws {
        let outcome = try BinaryRunner.run(["validate", "-c", "examples/quickstart", "--json"])
        #expect(outcome.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(json["ok"] as? Bool == true)
        #expect(json["objects"] as? Int == 3)
        #expect((json["diagnostics"] as? [Any])?.isEmpty == true)
    }

    @Test func configDirectoryComesFromTheEnvironment() throws {
        let outcome = try BinaryRunner.run(
            ["validate"], environment: ["DISPO_CONFIG": BinaryRunner.packageRoot + "/examples/quickstart"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("3 objects"))
    }

    @Test func missingDirectoryIsAnErrorThatSaysWhatToDo() throws {
        let outcome = try BinaryRunner.run(["validate", "-c", "/nonexistent/dispo"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("use -c DIR or set DISPO_CONFIG"))
    }

    @Test func emptyDirectoryIsValidWithAWarning() throws {
        let dir = try TemporaryDirectory([:])
        let outcome = try BinaryRunner.run(["validate", "-c", dir.path])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("warning: no config files (*.yaml, *.yml)"))
    }

    @Test func aliasBombExitsQuickly() throws {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "l\(level): &l\(level) [" + Array(repeating: level == 1 ? "*a" : "*l\(level - 1)", count: 10)
                .joined(separator: ", ") + "]\n"
        }
        let dir = try TemporaryDirectory(["bomb.yaml": text])
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try BinaryRunner.run(["validate", "-c", dir.path])
        #expect(clock.now - start < .seconds(10))
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("bomb.yaml:"))
        #expect(outcome.stdout.contains("alias"))
    }

    @Test func printWritesNormalisedYAMLThatValidatesAgain() throws {
        let outcome = try BinaryRunner.run(["validate", "-c", "examples/qubes", "--print"])
        #expect(outcome.status == 0)
        let yaml = outcome.stdout
        #expect(yaml.hasPrefix("---\napiVersion: dispo/v1\n"))
        #expect(yaml.contains("kind: System"))
        #expect(outcome.stderr.contains("valid: 11 objects"), "the summary goes to stderr with --print")
        let dir = try TemporaryDirectory(["all.yaml": yaml])
        let again = try BinaryRunner.run(["validate", "-c", dir.path])
        #expect(again.status == 0, "\(again.stdout)")
        #expect(again.stdout.contains("11 objects"))
    }

    @Test func unknownFlagIsAUsageError() throws {
        let outcome = try BinaryRunner.run(["validate", "--bogus"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("Unknown option '--bogus'"))
    }
}
