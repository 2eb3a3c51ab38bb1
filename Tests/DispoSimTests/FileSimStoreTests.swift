import DispoConfig
import DispoHost
import Foundation
import DispoTestKit
import Testing

@testable import DispoSim

/// The state file: persistence, locking between writers, atomic 0600 writes, and unreadable files.
struct FileSimStoreTests {
    /// A temporary directory, removed with the value.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Issue 16: a duplicated domain record used to be accepted, and `apply` then removed a different, real
    /// preload. An inconsistent state is an error that says what to do, and nothing is written.
    @Test(arguments: ["name", "domid", "uuid"])
    func anInconsistentStateIsAnErrorAndNothingIsWritten(duplicated field: String) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let host = SimHost(path: path, clock: VirtualClock())
        try await host.admin.initialise(memory: .mebibytes(8192), boot: .seconds(3), seed: 7)
        _ = try await host.create(Fixture.request("a"))
        _ = try await host.create(Fixture.request("b"))
        var state = try await host.store.read()
        switch field {
        case "name": state.domains[1].name = state.domains[0].name
        case "domid": state.domains[1].domid = state.domains[0].domid
        default: state.domains[1].uuid = state.domains[0].uuid
        }
        try await host.store.replace(with: state)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let reopened = SimHost(path: path, clock: VirtualClock())
        do {
            _ = try await reopened.snapshot()
            Issue.record("an inconsistent state was read")
        } catch {
            #expect(error.message.contains("inconsistent") && error.message.contains("dispo sim init"), "\(error.message)")
        }
        await #expect(throws: HostError.self) { try await reopened.destroy("a") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "nothing was written")
    }

    @Test func stateSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let first = SimHost(path: path, clock: VirtualClock())
        try await first.admin.initialise(memory: .mebibytes(8192), boot: .seconds(3), seed: 7)
        _ = try await first.create(Fixture.request("a"))
        try await first.unpause("a")
        try await first.updateHostMetadata(["released.12": "1800000000"])
        try await first.admin.injectFault(operation: .ready, count: 2)

        let reopened = SimHost(path: path, clock: VirtualClock())
        #expect(try await reopened.snapshot() == (try await first.snapshot()))
        let state = try await reopened.store.read()
        #expect(state.bootSeconds == 3)
        #expect(state.faults == [.ready: 2])
        #expect(state.domains.first?.hasStarted == true)

        // The generator's state survives too: the next uuid is the one an uninterrupted host would make.
        _ = try await reopened.create(Fixture.request("b"))
        let memory = Fixture.host(SimState(totalMemory: .mebibytes(8192), bootSeconds: 3, seed: 7))
        _ = try await memory.create(Fixture.request("a"))
        _ = try await memory.create(Fixture.request("b"))
        #expect(try await reopened.snapshot().domains.map(\.uuid) == (try await memory.snapshot().domains.map(\.uuid)))
    }

    @Test func twoWritersOnTheSamePathLoseNoUpdate() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let hosts = [SimHost(path: path, clock: VirtualClock()), SimHost(path: path, clock: VirtualClock())]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, host) in hosts.enumerated() {
                group.addTask {
                    for index in 0..<50 {
                        _ = try await host.create(Fixture.request("w\(number)-\(index)", memory: 64))
                    }
                }
            }
            try await group.waitForAll()
        }
        let domains = try await SimHost(path: path).snapshot().domains
        #expect(domains.count == 100)
        #expect(Set(domains.map(\.domid)) == Set(1...100))
        #expect(Set(domains.map(\.uuid)).count == 100)
        #expect(Set(domains.map(\.name)).count == 100)
    }

    @Test func theFileIs0600InA0700DirectoryMadeForIt() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/state/dispo/host.json"
        try await SimHost(path: path).updateHostMetadata(["k": "v"])
        #expect(try Self.mode(path) == 0o600)
        #expect(try Self.mode(directory.path + "/state/dispo") == 0o700)
        #expect(try Self.mode(directory.path + "/state") == 0o700)
        #expect(FileManager.default.fileExists(atPath: path + ".lock"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/state/dispo")
        #expect(entries.sorted() == ["host.json", "host.json.lock"])
    }

    @Test func theFileIsSnakeCaseJSONWithAVersion() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let host = SimHost(path: path)
        _ = try await host.create(Fixture.request("a"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        #expect(json["total_memory_kib"] as? Int == 16 * 1024 * 1024)
        #expect(json["next_domid"] as? Int == 2)
        let domain = try #require((json["domains"] as? [[String: Any]])?.first)
        #expect(domain["has_started"] as? Bool == false)
        #expect((domain["metadata"] as? [String: String])?["owner"] == "dispo")
    }

    @Test(arguments: ["{not json", "", "{\"version\": 1}", "[1, 2, 3]"])
    func anUnreadableFileIsUnavailableAndSaysWhatToDo(contents: String) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        let host = SimHost(path: path)
        let error = await #expect(throws: HostError.self) { try await host.snapshot() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("dispo sim init --host sim:\(path)") == true)
        // The file is left as it was, and `init` replaces it.
        #expect(try String(contentsOfFile: path, encoding: .utf8) == contents)
        try await host.admin.initialise()
        #expect(try await host.snapshot().domains.isEmpty)
    }

    @Test func aFileFromAnotherVersionIsUnavailable() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        var state = SimState()
        state.version = 99
        try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: HostError.self) { try await SimHost(path: path).snapshot() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("version 99") == true)
    }

    @Test func aMissingFileIsCreatedOnlyWhenAllowed() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let strict = SimHost(store: FileSimStore(path: path, createIfMissing: false))
        let error = await #expect(throws: HostError.self) { try await strict.snapshot() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("dispo sim init") == true)
        #expect(!FileManager.default.fileExists(atPath: path))

        let lenient = SimHost(path: path)
        let snapshot = try await lenient.snapshot()
        #expect(snapshot.totalMemory == SimState.defaultTotalMemory)
        #expect(snapshot.freeMemory == .mebibytes(15 * 1024))
        #expect(!FileManager.default.fileExists(atPath: path), "reading writes nothing")
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "reading takes no lock")
        try await lenient.updateHostMetadata(["k": "v"])
        #expect(FileManager.default.fileExists(atPath: path), "the first change creates the host")

        let gone = directory.path + "/missing/host.json"
        let error2 = await #expect(throws: HostError.self) {
            try await SimHost(path: gone, createIfMissing: false).updateHostMetadata(["k": "v"])
        }
        #expect(error2?.message.contains("no simulated host at \(gone)") == true)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/missing"), "no folder is made for it")
    }

    @Test func aFailedOperationWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/host.json"
        let host = SimHost(path: path)
        _ = try await host.create(Fixture.request("a"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        await #expect(throws: HostError.self) { try await host.create(Fixture.request("a")) }
        await #expect(throws: HostError.self) { try await host.destroy("nowhere") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
