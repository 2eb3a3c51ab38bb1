import DispoHost

/// Where dispo keeps its records in xenstore, and where guests signal readiness and report their memory use.
///
/// Layout (every node under the root is owned by dom0 with no permission for anyone else: `n0`):
/// - `<root>/domains/<name>` — one node per domain dispo made; its value is the domain's UUID (chosen by dispo
///   before the domain exists), its children are the metadata keys (`owner`, `role`, `stage`, ...).
/// - `<root>/host/<key>` — host-wide metadata.
///
/// xenstore allows only `[A-Za-z0-9_@-]` in a path component, so names and keys are escaped: every byte outside
/// `[A-Za-z0-9-]` becomes `_` and two lowercase hex digits (`debian-12.x` -> `debian-12_2ex`, `_` -> `_5f`).
public struct XenstorePaths: Sendable, Hashable {
    /// The root of dispo's records, `/dispo` unless configured otherwise.
    public var root: String

    public init(root: String = "/dispo") {
        self.root = root
    }

    /// `<root>/domains`: one node per domain dispo made.
    public var domains: String { root + "/domains" }
    /// `<root>/host`: host-wide metadata.
    public var host: String { root + "/host" }

    /// `<root>/domains/<name>`: the node holding a domain's metadata (its value is the domain's UUID).
    public func domain(_ name: String) -> String { domains + "/" + Self.escape(name) }

    /// `<root>/domains/<name>/<key>`.
    public func domain(_ name: String, key: String) -> String { domain(name) + "/" + Self.escape(key) }

    /// `<root>/host/<key>`.
    public func host(key: String) -> String { host + "/" + Self.escape(key) }

    /// `/local/domain/<domid>/<key>`: where the guest writes its readiness key (`key` is a relative path such as
    /// `data/ready`, used as written).
    public static func guest(_ domid: UInt32, key: String) -> String {
        let relative = key.drop(while: { $0 == "/" })
        return "/local/domain/\(domid)/\(relative)"
    }

    /// `/local/domain/<domid>/memory/meminfo`: where the guest reports the memory it uses (``GuestMemoryReport``).
    /// dispo creates it empty, owned by the guest, before the first unpause: libxl makes the guest's `memory`
    /// directory read-only to it, so the guest could not create the node itself (Qubes does the same).
    public static func guestMeminfo(_ domid: UInt32) -> String {
        guest(domid, key: GuestMemoryReport.xenstoreKey)
    }

    /// The special watch xenstored fires when a domain shuts down or is destroyed.
    public static let releaseDomain = "@releaseDomain"
    /// The special watch xenstored fires when a domain is introduced (created).
    public static let introduceDomain = "@introduceDomain"

    /// A name or key as a single xenstore path component.
    public static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if isPlain(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "_" + String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
            }
        }
        return result
    }

    /// The name or key an escaped component stands for; nil when it is not a valid escape.
    public static func unescape(_ component: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = component.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "_") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
