#if canImport(Glibc)
    import Glibc
#endif

/// Path strings and the few `lstat`/`readdir`/`readlink` calls the walker needs.
enum Paths {
    /// What a path names, without following a final symlink.
    enum Kind: Equatable {
        case missing, directory, symlink, other
    }

    /// `path` made absolute against the current directory (not resolved: the walker resolves it every time).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" + path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return join(cwd, path.isEmpty ? "." : path)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The folder holding `path` ("/" for "/").
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The names along `path`, empty ones dropped.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func kind(_ path: String) -> Kind {
        var status = stat()
        guard lstat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// The target of a symlink, as written in it.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in a directory without `.` and `..`, or the errno.
    static func entries(_ path: String) -> Result<[String], OSError> {
        guard let directory = opendir(path) else { return .failure(OSError(errno)) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }
}

/// The names the config loader skips, so changes to them need no rescan: hidden entries (`.git`, `.#x.yaml`,
/// vim's `.x.yaml.swp`), backups `*~`, swap files `*.swp`/`*.swx` and vim's `4913` probe.
/// Kept equal to `ConfigFile.isIgnoredName` in DispoConfig (this module does not depend on it).
enum IgnoredNames {
    static func contains(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx")
            || name == "4913"
    }
}

/// An `errno` value as an `Error`.
struct OSError: Error, Equatable, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
