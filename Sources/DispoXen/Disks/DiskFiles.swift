import CXenLight
public import DispoConfig
public import DispoHost

#if canImport(Glibc)
    import Glibc
#endif

/// The files a domain owns: snapshot copies and volatile disks in its own directory. Blocking; run off the pool.
public enum DiskFiles {
    /// How a private copy was made.
    public enum CopyMethod: Sendable, Hashable {
        /// A copy-on-write clone (`ioctl FICLONE`): instant, no space used until written.
        case reflink
        /// A byte copy (holes kept), because the filesystem cannot clone (ext4, tmpfs, across filesystems).
        case fullCopy
    }

    /// Makes `destination` (which must not exist; mode 0600) a copy of `source`: a reflink where the filesystem
    /// allows, else a full copy that skips zero blocks (so sparse images stay sparse). `reflink` is the clone
    /// call (FICLONE by default; tests pass a failing one). On failure nothing is left at `destination`.
    public static func copy(
        from source: String, to destination: String,
        reflink: ((_ destination: Int32, _ source: Int32) -> Int32)? = nil
    ) throws(HostError) -> CopyMethod {
        let reflink = reflink ?? { dispo_ficlone($0, $1) }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(source)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw failure("cannot create \(destination)") }
        var keep = false
        defer {
            close(output)
            if !keep { unlink(destination) }
        }
        if reflink(output, input) == 0 {
            keep = true
            return .reflink
        }
        try copyBytes(from: input, to: output, source: source, destination: destination)
        guard fsync(output) == 0 else { throw failure("cannot sync \(destination)") }
        keep = true
        return .fullCopy
    }

    /// Creates `path` (which must not exist; mode 0600) as a sparse file of `size`: no blocks used until written.
    public static func createSparse(_ path: String, size: Size) throws(HostError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(path)") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(clamping: size.bytes)) == 0 else {
            let error = failure("cannot size \(path) to \(size)")
            unlink(path)
            throw error
        }
    }

    /// Creates `path` and its missing parents with mode 0700.
    public static func makeDirectory(_ path: String) throws(HostError) {
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw failure("cannot create \(prefix)") }
        }
    }

    /// Removes the directory `path` and the files in it (one level: a domain's directory holds only files);
    /// nothing to do when it does not exist.
    public static func removeDirectory(_ path: String) throws(HostError) {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return }
            throw failure("cannot open \(path)")
        }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names where unlink(path + "/" + name) != 0 && errno != ENOENT {
            throw failure("cannot remove \(path)/\(name)")
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw failure("cannot remove \(path)") }
    }

    private static let chunk = 1 << 20

    private static func copyBytes(from input: Int32, to output: Int32, source: String, destination: String)
        throws(HostError)
    {
        var buffer = [UInt8](repeating: 0, count: chunk)
        var total: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, chunk) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(source)")
            }
            if count == 0 { break }
            let isZero = buffer[0..<count].allSatisfy { $0 == 0 }
            if isZero {
                guard lseek(output, off_t(count), SEEK_CUR) >= 0 else { throw failure("cannot seek in \(destination)") }
            } else {
                try writeAll(buffer[0..<count], to: output, destination: destination)
            }
            total += off_t(count)
        }
        guard ftruncate(output, total) == 0 else { throw failure("cannot size \(destination)") }
    }

    private static func writeAll(_ bytes: ArraySlice<UInt8>, to output: Int32, destination: String) throws(HostError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write \(destination)")
            }
            offset += written
        }
    }

    private static func failure(_ what: String) -> HostError {
        HostError(.operationFailed, "\(what): \(Xenstore.describe(errno))")
    }
}
