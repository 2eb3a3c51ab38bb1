@testable import DispoCommands
import DispoConfig
import Foundation
import DispoTestKit
import Testing

/// On a terminal, a diagnostic is followed by its source line and a caret under the column.
struct DiagnosticRendererTests {
    @Test func terminalOutputShowsTheLineAndACaret() throws {
        let dir = try TemporaryDirectory(["a.yaml": "kind: System\nvcpus:\ttwo\n"])
        var renderer = DiagnosticRenderer(terminal: Terminal(colour: true), directory: dir.path)
        let diagnostic = Diagnostic(path: "a.yaml", line: 2, column: 8, severity: .error, message: "bad")
        let lines = renderer.render(diagnostic).replacingOccurrences(
            of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression
        ).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines == ["a.yaml:2:8: error: bad", "    vcpus:\ttwo", "          \t^"])
    }

    @Test func noColourOnATerminalKeepsTheExcerptWithoutEscapes() throws {
        let dir = try TemporaryDirectory(["a.yaml": "kind: System\nvcpus: two\n"])
        var renderer = DiagnosticRenderer(terminal: Terminal(colour: false, interactive: true), directory: dir.path)
        let diagnostic = Diagnostic(path: "a.yaml", line: 2, column: 8, severity: .error, message: "bad")
        #expect(renderer.render(diagnostic) == "a.yaml:2:8: error: bad\n    vcpus: two\n           ^")
    }

    @Test func plainOutputHasNoExcerptAndNoEscapes() throws {
        let dir = try TemporaryDirectory(["a.yaml": "kind: System\n"])
        var renderer = DiagnosticRenderer(terminal: .plain, directory: dir.path)
        let diagnostic = Diagnostic(path: "a.yaml", line: 1, column: 1, severity: .warning, message: "careful")
        #expect(renderer.render(diagnostic) == "a.yaml:1:1: warning: careful")
    }
}
