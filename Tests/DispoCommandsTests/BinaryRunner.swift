import Foundation

/// Runs the built `dispo` binary, as a user would.
struct BinaryRunner {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// `$DISPO_BINARY`, else the `dispo` next to the test bundle, else `.build/debug/dispo`.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["DISPO_BINARY"] { return path }
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("dispo").path
        if FileManager.default.isExecutableFile(atPath: bundle) { return bundle }
        return packageRoot + "/.build/debug/dispo"
    }()

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "DISPO_CONFIG")
        for (key, value) in environment { env[key] = value }
        process.environment = env
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

/// A temporary config directory with mode 0755 (dispo refuses group-writable ones as root).
final class ConfigDirectory {
    let path: String

    init(_ files: [String: String]) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dispo-cli-\(UUID().uuidString)")
        path = url.path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        for (name, text) in files {
            let full = path + "/" + name
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            chmod((full as NSString).deletingLastPathComponent, 0o755)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
            chmod(full, 0o644)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
