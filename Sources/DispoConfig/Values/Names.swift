/// The rules for object and domain names.
public enum Names {
    public static let maxLength = 31
    /// Names dispo refuses: Xen's and Qubes' special domains and words.
    public static let reserved: Set<String> = ["dom0", "none", "default"]

    /// Why `name` is not acceptable, or nil when it is.
    public static func problem(with name: String) -> String? {
        let bytes = name.utf8
        if bytes.isEmpty { return "a name cannot be empty" }
        if let first = bytes.first, isLetter(first), bytes.count <= maxLength,
            bytes.allSatisfy({ isLetter($0) || isASCIIDigit($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D })
        {
            if reserved.contains(name) { return "name \"\(name)\" is reserved" }
            if isUnnamedDisposable(name) {
                return "name \"\(name)\" is reserved for unnamed disposables (disp<digits>)"
            }
            return nil
        }
        if name.count > maxLength {
            return "name \"\(name)\" is \(name.count) characters long; at most \(maxLength) are allowed"
        }
        guard let first = name.unicodeScalars.first, first.isASCIILetter else {
            return "name \"\(name)\" must start with a letter (A-Z, a-z)"
        }
        let bad = name.unicodeScalars.first { !($0.isASCIILetter || $0.isASCIIDigit || "_.-".unicodeScalars.contains($0)) }
        return "name \"\(name)\" contains \"\(bad?.escaped(asASCII: false) ?? "?")\"; only letters, digits, '_', '.' and '-' are allowed"
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// True for `disp` followed by one or more digits.
    public static func isUnnamedDisposable(_ name: String) -> Bool {
        guard name.hasPrefix("disp"), name.count > 4 else { return false }
        return name.unicodeScalars.dropFirst(4).allSatisfy(\.isASCIIDigit)
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) }
    var isASCIIDigit: Bool { (0x30...0x39).contains(value) }
}
