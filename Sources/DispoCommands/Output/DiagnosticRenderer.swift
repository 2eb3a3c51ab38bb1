import DispoConfig
import Foundation

/// Prints diagnostics as `PATH:LINE:COLUMN: error: MESSAGE`; on a terminal, adds the source line and a caret
/// (also with `NO_COLOR`, which only removes colour).
struct DiagnosticRenderer {
    let terminal: Terminal
    /// The config directory, to read source lines from; nil never shows excerpts.
    let directory: String?
    private var cache: [String: [Substring]] = [:]

    init(terminal: Terminal, directory: String?) {
        self.terminal = terminal
        self.directory = directory
    }

    mutating func render(_ diagnostic: Diagnostic) -> String {
        let place = diagnostic.line > 0 ? "\(diagnostic.path):\(diagnostic.line):\(diagnostic.column)" : diagnostic.path
        let label =
            diagnostic.severity == .error
            ? terminal.paint("error:", .red) : terminal.paint("warning:", .yellow)
        var text = "\(terminal.paint(place + ":", .bold)) \(label) \(diagnostic.message)"
        if terminal.interactive, diagnostic.line > 0, let line = sourceLine(diagnostic.path, diagnostic.line) {
            let indent = line.prefix(max(0, diagnostic.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n    \(line)\n    \(indent)\(terminal.paint("^", .green))"
        }
        return text
    }

    private mutating func sourceLine(_ path: String, _ number: Int) -> Substring? {
        guard let directory else { return nil }
        if cache[path] == nil {
            let full = isDirectory(directory) ? directory + "/" + path : directory
            let text = (try? String(contentsOfFile: full, encoding: .utf8)) ?? ""
            cache[path] = text.split(separator: "\n", omittingEmptySubsequences: false)
        }
        guard let lines = cache[path], number - 1 < lines.count else { return nil }
        return lines[number - 1]
    }

    private func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
