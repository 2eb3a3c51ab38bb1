import Foundation
import DispoTestKit
import Testing

/// `dispo sim ...` end to end, running the built binary as a user would.
struct SimCommandLineTests {
    let directory: TemporaryDirectory
    let host: String
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/state/host.json"
        host = "sim:" + path
    }

    @Test func initAddCrashAndList() throws {
        let initialised = try BinaryRunner.run([
            "sim", "init", "--host", host, "--memory", "4GiB", "--boot", "6s", "--seed", "3",
        ])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(
            initialised.stdout
                == "initialised \(host): 4GiB of memory (dom0 1GiB), boot 6s, seed 3, guests report using 250MiB, "
                + "balloon 1000 MiB/s\n")
        #expect(
            try BinaryRunner.run(["sim", "add", "work", "--memory", "1024", "--host", host]).stdout
                == "added work (domid 1, 1GiB, running; not managed by dispo)\n")
        #expect(try BinaryRunner.run(["sim", "add", "mail", "--host", host]).status == 0)
        #expect(try BinaryRunner.run(["sim", "crash", "work", "--host", host]).stdout == "work: crashed\n")
        #expect(try BinaryRunner.run(["sim", "shutdown", "mail", "--host", host]).stdout == "mail: halted\n")

        let listed = try BinaryRunner.run(["sim", "ls", "--host", host])
        #expect(listed.status == 0)
        #expect(
            listed.stdout.split(separator: "\n").map(String.init) == [
                "NAME  DOMID  STATE    MEMORY   OWNER  ROLE  STAGE  TEMPLATE",
                "work  1      crashed  1024MiB  -      -     -      -",
                "mail  2      halted   400MiB   -      -     -      -",
                "free 1648MiB of 4GiB (dom0 1GiB); boot 6s",
            ])
    }

    @Test func listAsJSON() throws {
        _ = try BinaryRunner.run(["sim", "init", "--host", host, "--seed", "1"])
        _ = try BinaryRunner.run(["sim", "add", "work", "--memory", "2GiB", "--host", host])
        let listed = try BinaryRunner.run(["sim", "ls", "--json", "--host", host])
        #expect(listed.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        #expect(json["host"] as? String == host)
        #expect(json["total_memory_mib"] as? Int == 16384)
        #expect(json["free_memory_mib"] as? Int == 16384 - 1024 - 2048)
        let domain = try #require((json["domains"] as? [[String: Any]])?.first)
        #expect(domain["name"] as? String == "work")
        #expect(domain["state"] as? String == "running")
        #expect(domain["memory_mib"] as? Int == 2048)
        #expect(domain["owner"] is NSNull)
        #expect((domain["uuid"] as? String)?.count == 36)
    }

    @Test func failAddsPendingFaults() throws {
        _ = try BinaryRunner.run(["sim", "init", "--host", host])
        let failed = try BinaryRunner.run(["sim", "fail", "start", "--count", "2", "--host", host])
        #expect(failed.status == 0)
        #expect(failed.stdout == "the next 2 runs of start will fail\n")
        #expect(
            try BinaryRunner.run(["sim", "fail", "start", "--host", host]).stdout
                == "the next run of start will fail (3 pending)\n")
        let listed = try BinaryRunner.run(["sim", "ls", "--host", host])
        #expect(listed.stdout.hasSuffix("; pending faults: start 3\n"))

        let unknown = try BinaryRunner.run(["sim", "fail", "boot", "--host", host])
        #expect(unknown.status == 1)
        #expect(
            unknown.stderr
                == "dispo: error: unknown operation \"boot\"; use one of: create, start, pause, unpause, ready\n")
    }

    @Test func errorsExitOneAndSayWhatToDo() throws {
        _ = try BinaryRunner.run(["sim", "init", "--host", host])
        let missing = try BinaryRunner.run(["sim", "crash", "nowhere", "--host", host])
        #expect(missing.status == 1)
        #expect(missing.stderr == "dispo: error: nowhere: no such domain on the simulated host\n")

        let size = try BinaryRunner.run(["sim", "add", "x", "--memory", "1GB", "--host", host])
        #expect(size.status == 1)
        #expect(size.stderr.hasPrefix("dispo: error: --memory: unknown size unit \"GB\""))

        let xen = try BinaryRunner.run(["sim", "ls", "--host", "xen"])
        #expect(xen.status == 1)
        #expect(xen.stderr == "dispo: error: dispo sim drives only the simulated host; pass --host sim:PATH\n")

        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        let corrupt = try BinaryRunner.run(["sim", "ls", "--host", host])
        #expect(corrupt.status == 1)
        #expect(corrupt.stderr.contains("dispo sim init --host \(host)"))
        #expect(try BinaryRunner.run(["sim", "init", "--host", host]).status == 0)
        #expect(try BinaryRunner.run(["sim", "ls", "--host", host]).status == 0)
    }
}
