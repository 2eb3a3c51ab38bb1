public import Foundation

/// A temporary directory (mode 0755: dispo refuses group-writable config as root), removed on deinit.
public final class TemporaryDirectory {
    public let path: String

    /// Creates the directory with `files` (relative path -> text) in it.
    public init(_ files: [String: String] = [:]) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("dispo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        chmod(base.path, 0o755)
        path = base.path
        for (name, text) in files { try write(name, text) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` at `relative`, creating folders (0755); returns the full path.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try writeBytes(relative, Array(text.utf8), mode: mode)
    }

    @discardableResult
    public func writeBytes(_ relative: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let full = path + "/" + relative
        let folder = (full as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var current = folder
            while current.count > path.count {
                chmod(current, 0o755)
                current = (current as NSString).deletingLastPathComponent
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        chmod(full, mode)
        return full
    }
}
