import DispoYAML

/// Reads a source file (`kind: GitSource`): strictly, every problem a diagnostic with its file, line, column and key.
public enum GitSourceFile {
    static let kind = "GitSource"
    static let keys = [
        "apiVersion", "kind", "name", "url", "fetch_command", "ref", "path", "layers", "host", "interval", "timeout",
        "verify", "allow_non_fast_forward", "max_size", "state_directory",
    ]
    static let refKeys = ["branch", "tag", "commit"]
    static let verifyKeys = ["mode", "allowed_signers", "keyring"]
    enum Mode: String, CaseIterable { case ssh, openpgp, none }

    /// The outcome of reading a source file: the spec when it has no errors, and every diagnostic.
    public struct Result: Sendable {
        public var spec: GitSourceSpec?
        public var diagnostics: [Diagnostic]
    }

    /// Reads and decodes the file at `path` (`displayPath` names it in diagnostics).
    public static func load(path: String, displayPath: String? = nil) -> Result {
        let shown = displayPath ?? path
        switch FileSystem.readFile(path, limit: 1 << 20) {
        case .success(let read): return decode(read.bytes, path: shown)
        case .failure(.tooLarge(let size)):
            return Result(spec: nil, diagnostics: [fileError(shown, "source file is \(size) bytes; the limit is 1 MiB")])
        case .failure(.notRegular):
            return Result(spec: nil, diagnostics: [fileError(shown, "not a regular file")])
        case .failure(.system(let error)):
            return Result(spec: nil, diagnostics: [fileError(shown, "cannot read source file: \(error)")])
        }
    }

    /// Decodes source file text: one document, `kind: GitSource`.
    public static func decode(_ bytes: [UInt8], path: String) -> Result {
        var reader = Reader(path: path)
        let documents: [Node]
        do {
            let parsed = try YAMLParser(limits: .standard).parse(bytes)
            for problem in parsed.problems { reader.error(problem.message, at: problem.mark) }
            documents = parsed.documents
        } catch {
            reader.error(error.message, at: error.mark)
            return Result(spec: nil, diagnostics: reader.diagnostics)
        }
        guard documents.count == 1, let document = documents.first else {
            let mark = documents.dropFirst().first?.mark ?? Mark(line: 1, column: 1)
            reader.error("a source file holds exactly one document (kind: \(kind)), found \(documents.count)", at: mark)
            return Result(spec: nil, diagnostics: reader.diagnostics)
        }
        let spec = decode(document, reader: &reader)
        let diagnostics = reader.diagnostics.sorted()
        return Result(spec: diagnostics.hasErrors ? nil : spec, diagnostics: diagnostics)
    }

    private static func decode(_ document: Node, reader: inout Reader) -> GitSourceSpec? {
        guard let fields = reader.fields(document, keyPath: nil) else { return nil }
        if let node = fields["apiVersion"], let version = reader.string(node, keyPath: "apiVersion"),
            version != ObjectKind.apiVersion
        {
            reader.reject(node, keyPath: "apiVersion", "unsupported version \"\(version)\"; this dispo reads \(ObjectKind.apiVersion)")
        } else if fields["apiVersion"] == nil {
            reader.missing("apiVersion", in: fields, what: "the source file (use apiVersion: \(ObjectKind.apiVersion))")
        }
        guard let kindNode = fields["kind"] else {
            reader.missing("kind", in: fields, what: "the source file (use kind: \(kind))")
            return nil
        }
        guard let kindText = reader.string(kindNode, keyPath: "kind") else { return nil }
        guard kindText == kind else {
            let objects = ObjectKind.allCases.map(\.rawValue).contains(kindText)
                ? "; \(kindText) objects belong in the repository, not in the source file" : ""
            reader.reject(kindNode, keyPath: "kind", "a source file is kind: \(kind), found \"\(kindText)\"\(objects)")
            return nil
        }
        fields.rejectUnknown(
            allowed: keys, in: kind,
            hints: ["branch": "put it under ref (ref: {branch: main})", "tag": "put it under ref (ref: {tag: v1})",
                "interval_seconds": "use interval: 1m"],
            reader: &reader)
        let name = DocumentDecoder.requiredName(fields, what: kind, reader: &reader)
        let url = fields["url"].flatMap { decodeURL($0, reader: &reader) }
        let command = fields["fetch_command"].flatMap { decodeCommand($0, reader: &reader) }
        if fields["url"] == nil, fields["fetch_command"] == nil {
            reader.error(
                "missing required key \"url\" in \(kind) (or fetch_command, a command that writes a git bundle)",
                at: fields.node.mark)
        }
        var ref: GitSourceSpec.Ref?
        if let node = fields["ref"] {
            ref = decodeRef(node, reader: &reader)
        } else {
            reader.missing("ref", in: fields, what: "\(kind) (e.g. ref: {branch: main})")
        }
        let path = fields["path"].flatMap { repositoryPath($0, keyPath: "path", reader: &reader) } ?? ""
        var layers = [""]
        if let node = fields["layers"], let items = reader.list(node, keyPath: "layers") {
            if items.isEmpty { reader.reject(node, keyPath: "layers", "layers cannot be empty; leave it out to read path itself") }
            layers = items.enumerated().compactMap { index, item in
                repositoryPath(item, keyPath: "layers[\(index)]", reader: &reader)
            }
        }
        let host = fields["host"].flatMap { hostName($0, reader: &reader) }
        let interval = fields["interval"].flatMap {
            reader.interval($0, keyPath: "interval", allowNegative: false, allowZero: false)
        }
        let timeout = fields["timeout"].flatMap {
            reader.interval($0, keyPath: "timeout", allowNegative: false, allowZero: false)
        }
        var verification: GitSourceSpec.Verification?
        if let node = fields["verify"] {
            verification = decodeVerification(node, reader: &reader)
        } else {
            reader.missing("verify", in: fields,
                what: "\(kind) (mode: ssh with allowed_signers, mode: openpgp with keyring, or mode: none to apply unsigned commits)")
        }
        let allowNonFastForward = fields["allow_non_fast_forward"].flatMap {
            boolean($0, keyPath: "allow_non_fast_forward", reader: &reader)
        } ?? false
        let maxSize = fields["max_size"].flatMap { reader.size($0, keyPath: "max_size", allowZero: false) }
        let stateDirectory = fields["state_directory"].flatMap { reader.absolutePath($0, keyPath: "state_directory") }
        guard let name, let ref, let verification, url != nil || command != nil else { return nil }
        return GitSourceSpec(
            name: name, url: url, fetchCommand: command, ref: ref, path: path, layers: layers, host: host,
            interval: interval?.seconds ?? 60, timeout: timeout?.seconds ?? 120, verification: verification,
            allowNonFastForward: allowNonFastForward, maxSize: maxSize ?? .mebibytes(256), stateDirectory: stateDirectory)
    }

    static let schemes = ["file://", "git://", "http://", "https://", "ssh://"]

    private static func decodeURL(_ node: Node, reader: inout Reader) -> String? {
        guard let text = reader.string(node, keyPath: "url") else { return nil }
        guard schemes.contains(where: { text.hasPrefix($0) }), text.count > 7 else {
            reader.reject(node, keyPath: "url",
                "url must start with \(schemes.joined(separator: ", ")), found \"\(text)\"")
            return nil
        }
        guard !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            reader.reject(node, keyPath: "url", "url cannot contain spaces or control characters")
            return nil
        }
        return text
    }

    private static func decodeCommand(_ node: Node, reader: inout Reader) -> [String]? {
        guard let items = reader.list(node, keyPath: "fetch_command") else { return nil }
        guard !items.isEmpty else {
            reader.reject(node, keyPath: "fetch_command", "fetch_command needs a program, e.g. [qvm-run, --pass-io, git-qube, ...]")
            return nil
        }
        let words = items.enumerated().compactMap { index, item in reader.string(item, keyPath: "fetch_command[\(index)]") }
        return words.count == items.count ? words : nil
    }

    private static func decodeRef(_ node: Node, reader: inout Reader) -> GitSourceSpec.Ref? {
        guard let fields = reader.fields(node, keyPath: "ref") else { return nil }
        fields.rejectUnknown(allowed: refKeys, in: "ref", reader: &reader)
        let given = refKeys.filter { fields[$0] != nil }
        guard given.count == 1, let key = given.first, let value = fields[key] else {
            reader.reject(node, keyPath: "ref",
                "ref takes exactly one of branch, tag or commit, found \(given.isEmpty ? "none" : given.joined(separator: " and "))")
            return nil
        }
        guard let text = reader.string(value, keyPath: fields.path(key)) else { return nil }
        if key == "commit" {
            guard (4...40).contains(text.count), text.allSatisfy(\.isHexDigit) else {
                reader.reject(value, keyPath: "ref.commit", "ref.commit must be a hex commit name (4 to 40 digits), found \"\(text)\"")
                return nil
            }
            return .commit(text.lowercased())
        }
        if let problem = refNameProblem(text) {
            reader.reject(value, keyPath: fields.path(key), "\(fields.path(key)) \(problem)")
            return nil
        }
        return key == "branch" ? .branch(text) : .tag(text)
    }

    /// Why `name` is not a plain git ref name (after `git check-ref-format`'s rules), or nil.
    public static func refNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "cannot be empty" }
        if name.hasPrefix("-") || name.hasPrefix("/") || name.hasSuffix("/") || name.hasSuffix(".") || name.hasSuffix(".lock")
            || name.contains("..") || name.contains("//") || name.contains("@{") || name.hasPrefix("refs/")
        {
            return "is not a plain branch or tag name: \"\(name)\""
        }
        let forbidden: Set<Character> = [" ", "~", "^", ":", "?", "*", "[", "\\", "\u{7f}"]
        if name.contains(where: { forbidden.contains($0) || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) {
            return "contains a character git refuses in ref names: \"\(name)\""
        }
        return nil
    }

    private static func decodeVerification(_ node: Node, reader: inout Reader) -> GitSourceSpec.Verification? {
        guard let fields = reader.fields(node, keyPath: "verify") else { return nil }
        fields.rejectUnknown(allowed: verifyKeys, in: "verify", reader: &reader)
        guard let modeNode = fields["mode"] else {
            reader.missing("mode", in: fields, what: "verify (ssh, openpgp or none)")
            return nil
        }
        guard let mode = reader.choice(modeNode, keyPath: "verify.mode", as: Mode.self) else { return nil }
        let signers = fields["allowed_signers"].flatMap { reader.absolutePath($0, keyPath: "verify.allowed_signers") }
        let keyring = fields["keyring"].flatMap { reader.absolutePath($0, keyPath: "verify.keyring") }
        switch mode {
        case .ssh:
            if let node = fields["keyring"] { reader.reject(node, keyPath: "verify.keyring", "verify.keyring is for mode: openpgp") }
            guard let signers else {
                if fields["allowed_signers"] == nil {
                    reader.missing("allowed_signers", in: fields, what: "verify with mode: ssh (an allowed_signers file)")
                }
                return nil
            }
            return .ssh(allowedSigners: signers)
        case .openpgp:
            if let node = fields["allowed_signers"] {
                reader.reject(node, keyPath: "verify.allowed_signers", "verify.allowed_signers is for mode: ssh")
            }
            guard let keyring else {
                if fields["keyring"] == nil {
                    reader.missing("keyring", in: fields, what: "verify with mode: openpgp (a public keyring file)")
                }
                return nil
            }
            return .openPGP(keyring: keyring)
        case .none:
            for key in ["allowed_signers", "keyring"] {
                if let node = fields[key] {
                    reader.reject(node, keyPath: "verify.\(key)", "verify.\(key) has no effect with mode: none")
                }
            }
            return GitSourceSpec.Verification.none
        }
    }

    private static func repositoryPath(_ node: Node, keyPath: String, reader: inout Reader) -> String? {
        guard let text = reader.string(node, keyPath: keyPath) else { return nil }
        switch RepositoryPath.normalize(text) {
        case .success(let path):
            if path.contains(GitSourceSpec.hostMarker), keyPath == "path" {
                reader.reject(node, keyPath: keyPath, "\(keyPath) cannot name the host; use layers: [..., \"hosts/${host}\"]")
                return nil
            }
            if path.ranges(of: GitSourceSpec.hostMarker).count > 1 {
                reader.reject(node, keyPath: keyPath, "\(keyPath) names ${host} more than once")
                return nil
            }
            return path
        case .failure(let problem):
            reader.reject(node, keyPath: keyPath, "\(keyPath) \(problem.message)")
            return nil
        }
    }

    /// A host's name as a directory name: letters, digits, `-`, `_`, `.`; not `.` or `..`.
    private static func hostName(_ node: Node, reader: inout Reader) -> String? {
        guard let text = reader.string(node, keyPath: "host") else { return nil }
        let allowed = text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
        guard !text.isEmpty, allowed, text != ".", text != "..", text.count <= 253 else {
            reader.reject(node, keyPath: "host", "host must be a host name (letters, digits, -, _ and .), found \"\(text)\"")
            return nil
        }
        return text
    }

    private static func boolean(_ node: Node, keyPath: String, reader: inout Reader) -> Bool? {
        if case .scalar(let text, .plain) = node.content {
            if text == "true" { return true }
            if text == "false" { return false }
        }
        reader.reject(node, keyPath: keyPath, "\(keyPath) must be true or false, found \(reader.describe(node))")
        return nil
    }

    private static func fileError(_ path: String, _ message: String) -> Diagnostic {
        Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message)
    }
}
