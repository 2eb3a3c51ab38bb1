public import DispoConfig
import Foundation

/// The benchmark's input: a generated config directory of 10,000 objects in 100 files,
/// checked to load cleanly before anything is timed.
public struct LoadFixture: Sendable {
    /// Names the config directory to load; without it one is generated into a temporary directory.
    public static let directoryVariable = "DISPO_BENCH_CONFIG"
    /// The number of objects the directory must hold (default 10,000).
    public static let objectsVariable = "DISPO_BENCH_OBJECTS"

    public let directory: String
    /// Absolute paths of the files dispo reads, in its order: the raw scan reads the same ones.
    public let files: [String]
    public let objects: Int
    public let bytes: Int

    /// The loader as the benchmark runs it (`strictModes: false`: the generated files belong to
    /// whoever ran the generator, and the mode checks are not what is measured).
    public static let loader = ConfigLoader(strictModes: false)

    /// Finds or generates the directory, loads it once and stops the process with a message
    /// unless it is valid and holds the expected number of objects.
    public static func prepare() -> LoadFixture {
        let environment = ProcessInfo.processInfo.environment
        let directory: String
        if let given = environment[directoryVariable], !given.isEmpty {
            directory = given
        } else {
            directory = generate()
        }
        let expected = environment[objectsVariable].flatMap { Int($0) } ?? 10_000
        let result = loader.load(directory: directory)
        guard result.isValid, result.state.count == expected else {
            let shown = result.diagnostics.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            fail("""
                \(directory) must load with no errors and \(expected) objects; got \(result.state.count) objects, \
                \(result.diagnostics.count) diagnostics\(shown.isEmpty ? "" : ":\n" + shown)
                """)
        }
        let files = result.files.map { directory + "/" + $0 }
        let bytes = files.reduce(0) { $0 + ((try? readBytes($1))?.count ?? 0) }
        return LoadFixture(directory: directory, files: files, objects: result.state.count, bytes: bytes)
    }

    /// Runs `Benchmarks/load/generate.py` into a fresh temporary directory.
    private static func generate() -> String {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("load/generate.py").path
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dispo-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, directory]
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            fail("cannot run \(script): \(error)")
        }
        guard process.terminationStatus == 0 else { fail("\(script) \(directory) failed") }
        return directory
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("dispo benchmark: \(message)\n".utf8))
        exit(1)
    }
}
