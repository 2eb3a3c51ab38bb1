import Foundation
import DispoTestKit
import Testing

/// `diff`, `apply` and `status` end to end on a simulated host in a temp file.
struct ApplyCommandTests {
    /// A fresh simulated host with fast boots.
    final class SimFile {
        let directory: TemporaryDirectory
        var host: String { "sim:\(directory.path)/host.json" }

        init() throws {
            directory = try TemporaryDirectory([:])
            let outcome = try BinaryRunner.run(["sim", "init", "--boot", "100ms", "--host", host])
            #expect(outcome.status == 0, "\(outcome.stderr)")
        }

        func run(_ arguments: [String]) throws -> BinaryRunner.Outcome {
            try BinaryRunner.run(arguments + ["--host", host])
        }
    }

    @Test func diffApplyDiffStatus() throws {
        let sim = try SimFile()
        let before = try sim.run(["diff", "-c", "examples/quickstart"])
        #expect(before.status == 2)
        #expect(before.stdout.contains("default-dvm (DisposableTemplate)"))
        #expect(before.stdout.components(separatedBy: "+ create preload (new)").count - 1 == 2)

        let apply = try sim.run(["apply", "-c", "examples/quickstart"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("converged: 2 actions"))
        #expect(apply.stderr.components(separatedBy: "ready and paused [refill]").count - 1 == 2)

        let after = try sim.run(["diff", "-c", "examples/quickstart"])
        #expect(after.status == 0)
        #expect(after.stdout.hasPrefix("in sync"))

        let status = try sim.run(["status", "-c", "examples/quickstart", "--json"])
        #expect(status.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((json["host"] as? [String: Any])?["backend"] as? String == "sim")
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["ok"] as? Bool == true)
        #expect(config["revision"] as? String == config["observed"] as? String, "apply records what it reconciled")
        let templates = try #require(json["templates"] as? [[String: Any]])
        let preload = try #require(templates.first?["preload"] as? [String: Any])
        #expect(templates.first?["name"] as? String == "default-dvm")
        #expect(preload["max"] as? Int == 2)
        #expect(preload["ready"] as? Int == 2)
        #expect((preload["queue"] as? [String])?.count == 2)
        #expect(json["named"] as? [Any] != nil)
        #expect(json["disposables"] as? [Any] != nil)
        #expect(json["history"] as? [Any] != nil)
    }

    /// The quickstart's threshold (1GiB) on a small host: apply converges to what fits and says why the rest waits;
    /// each preload was shrunk to its preferred memory before its pause, and status shows the measurement.
    @Test func theThresholdHoldsPreloadsBackAndStatusShowsTheShrink() throws {
        let directory = try TemporaryDirectory([:])
        let host = "sim:\(directory.path)/host.json"
        let initialised = try BinaryRunner.run(["sim", "init", "--memory", "2600MiB", "--boot", "100ms", "--host", host])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        func run(_ arguments: [String]) throws -> BinaryRunner.Outcome {
            try BinaryRunner.run(arguments + ["-c", "examples/quickstart", "--host", host])
        }
        let before = try run(["diff", "--json"])
        #expect(before.status == 2)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [String: Any])
        let waiting = try #require((plan["waiting"] as? [[String: Any]])?.first)
        #expect(waiting["reason"] as? String == "memory")
        let figures = try #require(waiting["memory"] as? [String: Any])
        #expect(figures["waiting"] as? Int == 1)
        #expect(figures["free_mib"] as? Int == 1576)
        #expect(figures["threshold_mib"] as? Int == 1024)
        #expect(figures["available_mib"] as? Int == 552)
        #expect(figures["each_mib"] as? Int == 400)

        let apply = try run(["apply"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains(
            "waiting: default-dvm: 1 preload(s) wait for memory: 1251MiB free less the threshold 1GiB leaves 227MiB; "
                + "each needs 400MiB"), "\(apply.stdout)")
        #expect(apply.stderr.contains("ready and paused [refill] in "), "\(apply.stderr)")
        #expect(apply.stderr.contains("(memory 600MiB -> 325MiB in 0.3"), "\(apply.stderr)")

        let after = try run(["diff"])
        #expect(after.status == 0, "only memory holds the rest back: in sync")
        #expect(after.stdout.contains("· default-dvm: 1 preload(s) wait for memory: 1251MiB free"), "\(after.stdout)")

        let status = try run(["status", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let preload = try #require((json["templates"] as? [[String: Any]])?.first?["preload"] as? [String: Any])
        #expect(preload["ready"] as? Int == 1)
        let entry = try #require((preload["preloads"] as? [[String: Any]])?.first)
        #expect(entry["name"] as? String == (preload["queue"] as? [String])?.first)
        #expect(entry["memory_kib"] as? Int == 332_800)
        let shrink = try #require(entry["shrink"] as? [String: Any])
        #expect(shrink["result"] as? String == "reached")
        #expect(shrink["before_kib"] as? Int == 614_400)
        #expect(shrink["after_kib"] as? Int == 332_800)
        #expect(shrink["target_kib"] as? Int == 332_800)
        #expect(shrink["reported_use_kib"] as? Int == 256_000)
        #expect((shrink["seconds"] as? Double).map { $0 >= 0.3 && $0 < 3 } == true)
    }

    @Test func diffJSONHasTheDocumentedShape() throws {
        let sim = try SimFile()
        let outcome = try sim.run(["diff", "-c", "examples/quickstart", "--json"])
        #expect(outcome.status == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(json["in_sync"] as? Bool == false)
        let actions = try #require(json["actions"] as? [[String: Any]])
        #expect(actions.count == 2)
        let first = try #require(actions.first)
        #expect(first["op"] as? String == "create")
        #expect(first["role"] as? String == "preload")
        #expect(first["template"] as? String == "default-dvm")
        #expect(first["name"] is NSNull)
        #expect(first["reason"] as? String == "refill")
        #expect(first["pending"] as? Bool == false)
    }

    @Test func invalidConfigChangesNothing() throws {
        let sim = try SimFile()
        let dir = try TemporaryDirectory(["bad.yaml": ValidateCommandTests.broken])
        let outcome = try sim.run(["apply", "-c", dir.path])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("nothing was done"))
        let list = try sim.run(["sim", "ls", "--json"])
        #expect(!list.stdout.contains("\"name\""), "no domain was made: \(list.stdout)")
    }

    @Test func emptyConfigRemovesNothingUnlessAllowed() throws {
        let sim = try SimFile()
        #expect(try sim.run(["apply", "-c", "examples/quickstart"]).status == 0)
        let empty = try TemporaryDirectory([:])
        let guarded = try sim.run(["apply", "-c", empty.path])
        #expect(guarded.status == 1)
        #expect(guarded.stderr.contains("--allow-empty"))
        #expect(try sim.run(["diff", "-c", empty.path]).status == 1)
        let status = try sim.run(["status", "-c", "examples/quickstart", "--json"])
        #expect(status.stdout.contains("\"ready\" : 2"))
        let allowed = try sim.run(["apply", "-c", empty.path, "--allow-empty"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.components(separatedBy: "destroyed preload").count - 1 == 2)
    }

    @Test func injectedFaultIsRetriedAndReported() throws {
        let sim = try SimFile()
        #expect(try sim.run(["sim", "fail", "create", "--count", "1"]).status == 0)
        let apply = try sim.run(["apply", "-c", "examples/quickstart"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stderr.contains("failed after"))
        #expect(try sim.run(["diff", "-c", "examples/quickstart"]).status == 0)
    }

    @Test func persistentFaultGivesUpWithExitOne() throws {
        let sim = try SimFile()
        #expect(try sim.run(["sim", "fail", "create", "--count", "50"]).status == 0)
        let apply = try sim.run(["apply", "-c", "examples/quickstart", "--attempts", "2"])
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("preload/default-dvm gave up after 2 attempts"))
    }
}
