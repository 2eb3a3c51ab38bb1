#if canImport(Glibc)
    import Glibc
#endif

/// A fingerprint of files for `revision: auto`: each file's size, modification time (ns) and inode, or
/// `missing`, hashed (64-bit FNV-1a, 16 hex digits: detects change, not a security hash). Files are not read,
/// so a multi-GiB image costs one `stat`. Replacing a file (a new inode) or touching it changes the fingerprint.
public enum FileFingerprint {
    /// One line per file, in order: `path size mtime inode` or `path missing`.
    public static func describe(_ files: [String]) -> [String] {
        files.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path) missing" }
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            return "\(path) \(info.st_size) \(mtime) \(info.st_ino)"
        }
    }

    /// The hash of ``describe(_:)``.
    public static func fingerprint(_ files: [String]) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for line in describe(files) {
            for byte in line.utf8 {
                value ^= UInt64(byte)
                value &*= 0x0000_0100_0000_01B3
            }
            value ^= 0x0A
            value &*= 0x0000_0100_0000_01B3
        }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
