public import DispoConfig

/// The guest's own report of the memory it uses, as Qubes' `meminfo-writer` writes it for qmemman.
///
/// Format (Qubes `qubes/qmemman/algo.py`, `sanitize_and_parse_meminfo`): the used memory in KiB as plain decimal
/// digits, nothing else (no sign, space, newline or unit), at `/local/domain/<domid>/memory/meminfo` in xenstore
/// (``xenstoreKey`` relative to the guest's home). The guest writes it; its value is untrusted: anything that is
/// not 1 to ``maximumDigits`` ASCII digits, or is above ``maximum``, is "not reported" (nil), as is an empty value
/// (the node dispo creates before the guest boots).
public enum GuestMemoryReport {
    /// Where the guest writes its report, relative to its xenstore home `/local/domain/<domid>`.
    public static let xenstoreKey = "memory/meminfo"
    /// The longest report read as a number; longer is garbage.
    public static let maximumDigits = 13
    /// The largest used memory believed: 1 PiB (no host has more).
    public static let maximum = Size(kibibytes: 1 << 40)

    /// The used memory a report states, or nil when `text` is not a valid report.
    public static func parse(_ text: String) -> Size? {
        let bytes = text.utf8
        guard (1...maximumDigits).contains(bytes.count) else { return nil }
        var kibibytes: UInt64 = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            kibibytes = kibibytes * 10 + UInt64(byte - UInt8(ascii: "0"))  // 13 digits cannot overflow
        }
        guard kibibytes <= maximum.kibibytes else { return nil }
        return Size(kibibytes: kibibytes)
    }
}
