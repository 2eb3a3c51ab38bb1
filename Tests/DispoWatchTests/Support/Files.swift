import Foundation

/// File operations the way editors, deploy tools and git do them, with POSIX calls so each is exactly one step.
enum Files {
    /// Truncates and rewrites the file in place (same inode): IN_MODIFY + IN_CLOSE_WRITE.
    static func writeInPlace(_ path: String, _ text: String) throws {
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw failure("write", path) }
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw failure("rename", from) }
    }

    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    static func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
    }

    static func symlink(_ target: String, at path: String) throws {
        guard Foundation.symlink(target, path) == 0 else { throw failure("symlink", path) }
    }

    static func mode(_ path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }

    /// Runs a tool (git, ln) and fails on a non-zero exit.
    static func run(_ tool: String, _ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) \(arguments) failed"])
        }
    }

    static func git(_ arguments: String..., in directory: String) throws {
        let config = ["-c", "user.name=x", "-c", "user.email=x@y", "-c", "init.defaultBranch=main"]
        try run("/usr/bin/git", config + arguments, in: directory)
    }

    private static func failure(_ call: String, _ path: String) -> any Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(call) \(path): errno \(errno)"])
    }
}
