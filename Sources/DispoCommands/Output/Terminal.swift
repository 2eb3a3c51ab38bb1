import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where human output goes and whether it may use colour (only on a terminal, never with `NO_COLOR`).
struct Terminal: Sendable {
    var colour: Bool

    /// Colour for standard output when it is a terminal and `NO_COLOR` is unset or empty.
    static var standardOutput: Terminal {
        let environment = ProcessInfo.processInfo.environment
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        return Terminal(colour: isatty(STDOUT_FILENO) == 1 && !noColour)
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
