public import DispoConfig

/// A stable 64-bit FNV-1a digest, printed as 16 hex digits. Detects change; not a security hash.
package struct Digest: Sendable {
    private var value: UInt64 = 0xCBF2_9CE4_8422_2325

    package init() {}

    package mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        value ^= 0xFF
        value &*= 0x0000_0100_0000_01B3
    }

    package var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The revision of a spec: everything that shapes the domain, plus the fingerprint of the template's
    /// files when its revision is `auto` (empty on the sim, where the spec alone counts).
    package static func revision(of spec: EffectiveSpec, fingerprint: String) -> String {
        var digest = Digest()
        let template = spec.template
        digest.add(template.name)
        digest.add(template.type.rawValue)
        digest.add(template.kernel ?? "-")
        digest.add(template.ramdisk ?? "-")
        digest.add(template.cmdline)
        for disk in template.disks { digest.add("\(disk.target) \(disk.mode.rawValue) \(disk.source)") }
        digest.add(template.volatile?.description ?? "-")
        switch template.revision {
        case .auto: digest.add("auto:" + fingerprint)
        case .fixed(let value): digest.add("fixed:" + value)
        }
        digest.add(spec.disposableTemplate)
        digest.add(spec.memory.description)
        digest.add(spec.maxmem.description)
        digest.add(String(spec.vcpus))
        digest.add(spec.netvm ?? "-")
        digest.add(spec.tags.joined(separator: ","))
        digest.add(spec.ready.map { "\($0.xenstore) \($0.timeout)" } ?? "-")
        return digest.hex
    }

    /// The digest of a whole config, as written by ``YAMLWriter``.
    package static func config(_ state: DesiredState) -> String {
        var digest = Digest()
        digest.add(YAMLWriter.write(state))
        return digest.hex
    }
}
