import DispoHost
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Blocking POSIX file work for ``FileSimStore``: the lock, reading, atomic writing. Call it off the cooperative pool.
enum StateFile {
    /// Runs `body` holding an exclusive `flock` on `lockPath` (created 0600 when missing).
    static func withExclusiveLock<Value>(
        _ lockPath: String, _ body: () throws(HostError) -> Value
    ) throws(HostError) -> Value {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot open the lock file \(lockPath)") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw failure("cannot lock \(lockPath)") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String) throws(HostError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw failure("cannot read the sim state file \(path)", hint: true, path: path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read the sim state file \(path)", hint: true, path: path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    /// Writes `bytes` to `path` atomically: a 0600 temp file beside it, fsync, rename, fsync of the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(HostError) {
        let directory = parentDirectory(of: path)
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot write the sim state file \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                writeBytes(descriptor, $0.baseAddress.map { $0 + written }, $0.count - written)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("cannot write the sim state file \(temporary)")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        let synced = fchmod(descriptor, 0o600) == 0 && fsync(descriptor) == 0
        let error = synced ? nil : failure("cannot sync the sim state file \(temporary)")
        close(descriptor)
        if let error {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot replace the sim state file \(path)")
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Creates the directory that holds `path` (and its parents) with mode 0700 when missing.
    static func ensureParentDirectory(of path: String) throws(HostError) {
        let directory = parentDirectory(of: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw HostError(.unavailable, "\(directory) is not a directory; cannot keep the sim state file there")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HostError(.unavailable, "cannot create the directory \(directory) for the sim state file: \(error)")
        }
    }

    static func parentDirectory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// An ``HostError/Code/unavailable`` with the current `errno`'s text.
    static func failure(_ what: String, hint: Bool = false, path: String = "") -> HostError {
        let reason = String(cString: strerror(errno))
        let advice =
            hint ? "; check its permissions, or start a fresh host with `dispo sim init --host sim:\(path)`" : ""
        return HostError(.unavailable, "\(what): \(reason)\(advice)")
    }
}

/// `read(2)`, named apart from ``StateFile/read(_:)``.
private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `write(2)`.
private func writeBytes(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
