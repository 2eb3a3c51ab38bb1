/// An amount of memory or disk, kept in KiB (Xen's granularity).
///
/// Written in YAML as a plain integer of MiB (`400`) or a string with a binary unit
/// (`512MiB`, `1.5GiB`, `2G`); see ``Size/parse(_:)``.
public struct Size: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kibibytes: UInt64

    public init(kibibytes: UInt64) {
        self.kibibytes = kibibytes
    }

    public static func mebibytes(_ value: UInt64) -> Size { Size(kibibytes: value * 1024) }

    /// Whole MiB, rounded down.
    public var mebibytes: UInt64 { kibibytes / 1024 }
    public var bytes: UInt64 { kibibytes.multipliedReportingOverflow(by: 1024).partialValue }

    public static func < (lhs: Size, rhs: Size) -> Bool { lhs.kibibytes < rhs.kibibytes }

    /// The shortest exact spelling: `4000MiB`, `2GiB`, `1536KiB`.
    public var description: String {
        for (unit, scale) in Size.units.reversed() where kibibytes % scale == 0 && kibibytes >= scale {
            return "\(kibibytes / scale)\(unit)"
        }
        return "\(kibibytes)KiB"
    }

    static let units: [(String, UInt64)] = [("KiB", 1), ("MiB", 1 << 10), ("GiB", 1 << 20), ("TiB", 1 << 30)]
    static let unitAliases: [String: UInt64] = [
        "KiB": 1, "MiB": 1 << 10, "GiB": 1 << 20, "TiB": 1 << 30,
        "K": 1, "M": 1 << 10, "G": 1 << 20, "T": 1 << 30,
    ]

    /// Parses `text` with a unit (`1.5GiB`, `512 M`). A bare number is refused here: plain
    /// numbers are MiB only when written as YAML integers (see the decoder).
    public static func parse(_ text: String) -> Result<Size, ValueError> {
        let trimmed = Substring(text)
        guard let split = trimmed.utf8.firstIndex(where: { !(isASCIIDigit($0) || $0 == UInt8(ascii: ".")) }) else {
            return .failure(ValueError("size \"\(text)\" needs a unit (KiB, MiB, GiB, TiB) or must be a plain integer of MiB"))
        }
        let unit = String(trimmed[split...].drop(while: { $0 == " " || $0 == "\t" }))
        guard let decimal = DecimalNumber(String(trimmed[..<split])) else {
            return .failure(ValueError("\"\(text)\" is not a size: expected a number then a unit, like 512MiB or 1.5GiB"))
        }
        guard let scale = unitAliases[unit] else {
            return .failure(ValueError(unitMessage(unit, in: text)))
        }
        guard let kib = decimal.times(scale) else {
            if decimal.overflowed(scale) {
                return .failure(ValueError("size \"\(text)\" is too large"))
            }
            return .failure(ValueError("size \"\(text)\" is not a whole number of KiB"))
        }
        return .success(Size(kibibytes: kib))
    }

    private static func unitMessage(_ unit: String, in text: String) -> String {
        let binary = ["KB": "KiB", "MB": "MiB", "GB": "GiB", "TB": "TiB", "kb": "KiB", "mb": "MiB", "gb": "GiB",
            "tb": "TiB", "k": "KiB", "m": "MiB", "g": "GiB", "t": "TiB", "kib": "KiB", "mib": "MiB", "gib": "GiB",
            "tib": "TiB"]
        if let hint = binary[unit] {
            return "unknown size unit \"\(unit)\" in \"\(text)\"; did you mean \"\(hint)\"? (sizes are binary: KiB MiB GiB TiB)"
        }
        return "unknown size unit \"\(unit)\" in \"\(text)\"; use KiB, MiB, GiB or TiB (or K, M, G, T)"
    }
}

/// A non-negative decimal written as digits with an optional fraction, for exact unit scaling.
struct DecimalNumber {
    var whole: UInt64
    var fraction: UInt64
    var fractionDigits: Int

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let first = parts.first, !first.isEmpty, first.count <= 18,
            first.utf8.allSatisfy(isASCIIDigit), let whole = UInt64(first)
        else { return nil }
        self.whole = whole
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy(isASCIIDigit),
                let fraction = UInt64(digits)
            else { return nil }
            self.fraction = fraction
            self.fractionDigits = digits.count
        } else {
            self.fraction = 0
            self.fractionDigits = 0
        }
    }

    private var denominator: UInt64 {
        var value: UInt64 = 1
        for _ in 0..<fractionDigits { value *= 10 }
        return value
    }

    /// `self * scale` when exact and in range.
    func times(_ scale: UInt64) -> UInt64? {
        let (wholePart, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let (fractionPart, fractionOverflow) = fraction.multipliedReportingOverflow(by: scale)
        guard !fractionOverflow, fractionPart % denominator == 0 else { return nil }
        let (sum, sumOverflow) = wholePart.addingReportingOverflow(fractionPart / denominator)
        return sumOverflow ? nil : sum
    }

    func overflowed(_ scale: UInt64) -> Bool {
        whole.multipliedReportingOverflow(by: scale).overflow
    }
}

/// `0`...`9`.
func isASCIIDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}
