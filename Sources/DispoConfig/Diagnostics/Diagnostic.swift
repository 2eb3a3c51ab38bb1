/// One finding about the config, at a file position.
/// Encoded as `{"path", "line", "column", "severity", "message"}` (`validate --json`, `status --json`).
public struct Diagnostic: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    /// Path relative to the config directory (`.` for the directory itself).
    public var path: String
    /// 1-based; 0 when the finding is about a whole file or directory.
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(path: String, line: Int, column: Int, severity: Severity, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.path, lhs.line, lhs.column, lhs.message) < (rhs.path, rhs.line, rhs.column, rhs.message)
    }

    /// `PATH:LINE:COLUMN: error: MESSAGE` (just `PATH: error: MESSAGE` without a position).
    public var description: String {
        let place = line > 0 ? "\(path):\(line):\(column)" : path
        return "\(place): \(severity.rawValue): \(message)"
    }
}

extension Diagnostic {
    /// `message` led by the key path of the value it is about (`memory: unknown size unit ...`), unless it
    /// already starts with that key path (`memory must be greater than zero` is left as it is).
    ///
    /// A key path is the value's place in its object: keys joined with `.`, list items by index from 0
    /// (`memory`, `preload.delay`, `ready.timeout`, `disks[1].mode`, `tags[0]`), as ``Origin/mark(of:)`` reads it.
    static func message(_ message: String, about keyPath: String) -> String {
        if message.hasPrefix(keyPath), let next = message.dropFirst(keyPath.count).first, next == " " || next == ":" {
            return message
        }
        return "\(keyPath): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var errorCount: Int { count(where: { $0.severity == .error }) }
    public var warningCount: Int { count(where: { $0.severity == .warning }) }
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
