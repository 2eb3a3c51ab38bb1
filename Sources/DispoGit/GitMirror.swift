import DispoConfig
import Foundation

/// The bare mirror of one source (`<state>/sources/<name>/mirror.git`): what is fetched lands in its own refs,
/// so nothing a person edits is ever written, and a commit is read from the object database by its hash, so a
/// half-fetched commit can never be read.
///
/// Refs: `refs/dispo/fetched` (the head the last fetch found), `refs/dispo/applied` (the verified commit in
/// force, the base of the fast-forward check), `refs/dispo/good` (the newest applied commit whose config was
/// valid), `refs/dispo/preview/*` (what `diff --ref` fetched).
struct GitMirror: Sendable {
    static let fetched = "refs/dispo/fetched"
    static let applied = "refs/dispo/applied"
    static let good = "refs/dispo/good"

    let directory: String
    let git: GitCommand

    init(directory: String) {
        self.directory = directory
        git = GitCommand(gitDirectory: directory)
    }

    /// Creates the bare repository (and its parents, mode 0700) when it is not there yet.
    func prepare() async throws(SourceProblem) {
        if FileManager.default.fileExists(atPath: directory + "/HEAD") { return }
        let parent = (directory as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SourceProblem("cannot create the state directory \(parent): \(error.localizedDescription)")
        }
        let output = try await run(GitCommand(), ["init", "--quiet", "--bare", directory])
        guard output.succeeded else { throw SourceProblem("git init \(directory): \(output.reason)") }
    }

    /// Fetches `refspecs` from `url` (no tags unless asked, old objects pruned by git's own gc).
    func fetch(url: String, refspecs: [String], timeout: Double) async throws(SourceProblem) {
        let output = try await run(git, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", url] + refspecs,
            timeout: timeout)
        guard output.succeeded else { throw SourceProblem("fetch from \(url) failed: \(output.reason)") }
    }

    /// Runs `command`, which writes a git bundle on its standard output (at most `limit` bytes), and fetches
    /// `refspecs` from it. The bundle goes to a file beside the mirror first, checked with `git bundle verify`.
    func importBundle(command: [String], refspecs: [String], timeout: Double, limit: UInt64) async throws(SourceProblem) {
        guard let program = command.first else { throw SourceProblem("fetch_command is empty") }
        let shown = command.joined(separator: " ")
        let output: GitCommand.Output
        do {
            output = try await GitCommand.execute(
                program: program, arguments: Array(command.dropFirst()), environment: [:], input: nil,
                outputLimit: Int(clamping: limit), timeout: timeout)
        } catch .tooMuchOutput {
            throw SourceProblem("fetch_command wrote a bundle over max_size (\(limit / (1 << 20)) MiB): \(shown)")
        } catch {
            throw SourceProblem("fetch_command failed: \(error)")
        }
        guard output.succeeded else { throw SourceProblem("fetch_command failed (\(shown)): \(output.reason)") }
        let bundle = (directory as NSString).deletingLastPathComponent + "/incoming.bundle"
        guard FileManager.default.createFile(atPath: bundle, contents: Data(output.standardOutput),
            attributes: [.posixPermissions: 0o600])
        else { throw SourceProblem("cannot write \(bundle)") }
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let verified = try await run(git, ["bundle", "verify", "--quiet", bundle])
        guard verified.succeeded else {
            throw SourceProblem("fetch_command's output is not a usable git bundle: \(verified.reason)")
        }
        let fetched = try await run(git, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", bundle] + refspecs,
            timeout: timeout)
        guard fetched.succeeded else { throw SourceProblem("fetch from the bundle failed: \(fetched.reason)") }
    }

    /// The commit `revision` names (`refs/...`, a hash or an abbreviation), or nil.
    func commit(_ revision: String) async throws(SourceProblem) -> String? {
        let output = try await run(git, ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"])
        guard output.succeeded else { return nil }
        let hash = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return hash.isEmpty ? nil : hash
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    func isAncestor(_ ancestor: String, of descendant: String) async throws(SourceProblem) -> Bool {
        try await run(git, ["merge-base", "--is-ancestor", ancestor, descendant]).succeeded
    }

    /// Points `ref` at `commit`.
    func setRef(_ ref: String, to commit: String) async throws(SourceProblem) {
        let output = try await run(git, ["update-ref", ref, commit])
        guard output.succeeded else { throw SourceProblem("git update-ref \(ref): \(output.reason)") }
    }

    /// Bytes the mirror's objects take on disk (loose and packed, from `git count-objects -v`).
    func size() async throws(SourceProblem) -> UInt64 {
        let output = try await run(git, ["count-objects", "-v"])
        var kib: UInt64 = 0
        for line in output.text.split(separator: "\n") {
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "size" || parts[0] == "size-pack", let value = UInt64(parts[1]) { kib += value }
        }
        return kib * 1024
    }

    /// The raw commit object (headers and message).
    func commitObject(_ commit: String) async throws(SourceProblem) -> String {
        let output = try await run(git, ["cat-file", "commit", commit])
        guard output.succeeded else { throw SourceProblem("cannot read commit \(commit): \(output.reason)") }
        return output.text
    }

    /// Every entry of the commit's tree, recursively.
    func tree(_ commit: String, limit: Int = 16 << 20) async throws(SourceProblem) -> [TreeEntry] {
        let output = try await run(git, ["ls-tree", "-r", "-z", "-l", "--full-tree", commit], outputLimit: limit)
        guard output.succeeded else { throw SourceProblem("cannot list the tree of \(commit): \(output.reason)") }
        return output.standardOutput.split(separator: 0).compactMap { TreeEntry(Array($0)) }
    }

    /// The contents of blobs, in the order asked (`git cat-file --batch`).
    func blobs(_ objects: [String], totalLimit: Int) async throws(SourceProblem) -> [[UInt8]] {
        if objects.isEmpty { return [] }
        let input = Array(objects.joined(separator: "\n").utf8) + [0x0A]
        let output = try await run(
            git, ["cat-file", "--batch"], input: input, outputLimit: totalLimit + objects.count * 64 + 1024)
        guard output.succeeded else { throw SourceProblem("cannot read blobs: \(output.reason)") }
        var result: [[UInt8]] = []
        let bytes = output.standardOutput
        var index = 0
        for object in objects {
            guard let newline = bytes[index...].firstIndex(of: 0x0A) else { throw SourceProblem("short read of \(object)") }
            let header = String(decoding: bytes[index..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, header[1] == "blob", let size = Int(header[2]), newline + 1 + size <= bytes.count else {
                throw SourceProblem("cannot read blob \(object): \(header.joined(separator: " "))")
            }
            result.append(Array(bytes[(newline + 1)..<(newline + 1 + size)]))
            index = newline + 1 + size + 1
        }
        return result
    }

    private func run(
        _ git: GitCommand, _ arguments: [String], input: [UInt8]? = nil, outputLimit: Int = 1 << 20, timeout: Double = 60
    ) async throws(SourceProblem) -> GitCommand.Output {
        do {
            return try await git.run(arguments, input: input, outputLimit: outputLimit, timeout: timeout)
        } catch {
            throw SourceProblem("\(error)")
        }
    }
}

/// One line of `git ls-tree -r -l -z`: `MODE TYPE OBJECT SIZE\tPATH`.
struct TreeEntry: Sendable, Hashable {
    var mode: String
    var type: String
    var object: String
    var size: Int
    var path: String
    /// False when the path is not UTF-8 (``path`` then holds replacement characters).
    var hasValidName: Bool

    var isSymlink: Bool { mode == "120000" }
    var isSubmodule: Bool { type == "commit" }

    init?(_ bytes: [UInt8]) {
        guard let tab = bytes.firstIndex(of: 0x09) else { return nil }
        let fields = String(decoding: bytes[..<tab], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4 else { return nil }
        let name = bytes[(tab + 1)...]
        let path = String(decoding: name, as: UTF8.self)
        hasValidName = String(validating: name, as: UTF8.self) != nil
        mode = String(fields[0])
        type = String(fields[1])
        object = String(fields[2])
        size = Int(fields[3]) ?? 0
        self.path = path
    }
}

/// A problem of the source, as one line for `status` and the log.
struct SourceProblem: Error, Sendable, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
