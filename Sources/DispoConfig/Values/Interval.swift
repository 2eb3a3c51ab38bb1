/// A span of time from the config, kept in milliseconds; may be negative (only `preload.delay` allows it).
///
/// Written as a number of seconds (`3`, `1.5`, `-1`) or a string with a unit (`500ms`, `3s`, `2m`, `1h`).
public struct Interval: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static func seconds(_ value: Int64) -> Interval { Interval(milliseconds: value * 1000) }

    public var duration: Duration { .milliseconds(milliseconds) }
    public var seconds: Double { Double(milliseconds) / 1000 }
    public var isNegative: Bool { milliseconds < 0 }

    public static func < (lhs: Interval, rhs: Interval) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The shortest exact spelling: `3s`, `500ms`, `2m`, `-1s`.
    public var description: String {
        let magnitude = milliseconds.magnitude
        let sign = milliseconds < 0 ? "-" : ""
        if magnitude != 0, magnitude % 3_600_000 == 0 { return "\(sign)\(magnitude / 3_600_000)h" }
        if magnitude != 0, magnitude % 60_000 == 0 { return "\(sign)\(magnitude / 60_000)m" }
        if magnitude % 1000 == 0 { return "\(sign)\(magnitude / 1000)s" }
        return "\(sign)\(magnitude)ms"
    }

    private static let units: [String: UInt64] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000]

    /// Parses a number of seconds or a number with a unit.
    public static func parse(_ text: String, unitRequired: Bool) -> Result<Interval, ValueError> {
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body.removeFirst() }
        let split = body.utf8.firstIndex(where: { !(isASCIIDigit($0) || $0 == UInt8(ascii: ".")) }) ?? body.endIndex
        let unit = String(body[split...].drop(while: { $0 == " " || $0 == "\t" }))
        guard let decimal = DecimalNumber(String(body[..<split])) else {
            return .failure(ValueError("\"\(text)\" is not a duration: expected a number of seconds or a number with a unit, like 500ms, 3s, 2m"))
        }
        let scale: UInt64
        if unit.isEmpty {
            if unitRequired {
                return .failure(ValueError("duration \"\(text)\" needs a unit (ms, s, m, h) or must be a plain number of seconds"))
            }
            scale = 1000
        } else if let known = units[unit] {
            scale = known
        } else {
            return .failure(ValueError("unknown duration unit \"\(unit)\" in \"\(text)\"; use ms, s, m or h"))
        }
        guard let value = decimal.times(scale), value <= UInt64(Int64.max) else {
            if decimal.overflowed(scale) { return .failure(ValueError("duration \"\(text)\" is too large")) }
            return .failure(ValueError("duration \"\(text)\" is finer than a millisecond"))
        }
        return .success(Interval(milliseconds: negative ? -Int64(value) : Int64(value)))
    }
}

/// A value that did not parse; the decoder attaches the position.
public struct ValueError: Error, Sendable, Hashable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
