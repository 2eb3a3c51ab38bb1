import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where human output goes: whether it may use colour (only on a terminal, never with `NO_COLOR`) and whether a
/// person reads it (a terminal: diagnostics add the source line and a caret, with or without colour).
struct Terminal: Sendable {
    var colour: Bool
    var interactive: Bool

    init(colour: Bool, interactive: Bool? = nil) {
        self.colour = colour
        self.interactive = interactive ?? colour
    }

    /// Standard output: interactive when it is a terminal, coloured too unless `NO_COLOR` is set (or TERM=dumb).
    static var standardOutput: Terminal { of(STDOUT_FILENO) }

    /// Standard error, judged the same way.
    static var standardError: Terminal { of(STDERR_FILENO) }

    private static func of(_ descriptor: Int32) -> Terminal {
        let environment = ProcessInfo.processInfo.environment
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        let tty = isatty(descriptor) == 1
        return Terminal(colour: tty && !noColour, interactive: tty)
    }

    static let plain = Terminal(colour: false)

    enum Style: String {
        case bold = "1"
        case red = "1;31"
        case yellow = "1;33"
        case green = "1;32"
        case cyan = "36"
        case dim = "2"
    }

    func paint(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}

/// Writes to standard error.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
