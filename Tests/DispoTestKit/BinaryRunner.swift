public import Foundation

/// Runs the built `dispo` binary, as a user would (colour off, `DISPO_CONFIG` unset).
public enum BinaryRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The package's root folder.
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// `$DISPO_BINARY`, else the `dispo` next to the test bundle, else `.build/debug/dispo`.
    public static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["DISPO_BINARY"] { return path }
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("dispo").path
        if FileManager.default.isExecutableFile(atPath: bundle) { return bundle }
        return packageRoot + "/.build/debug/dispo"
    }()

    /// Runs `dispo ARGUMENTS` in the package root and waits for it.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "DISPO_CONFIG")
        for (key, value) in environment { env[key] = value }
        return try run(executable: binary, arguments, environment: env)
    }

    /// Runs `executable ARGUMENTS` in the package root with exactly `environment` (nil: this process's) and waits
    /// for it, collecting both outputs.
    public static func run(executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> Outcome
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
