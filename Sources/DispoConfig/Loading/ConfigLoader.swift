public import DispoYAML

/// Loads a config directory into a ``DesiredState``, collecting every diagnostic.
public struct ConfigLoader: Sendable {
    package var limits: ParseLimits
    /// Refuse files and directories writable by others or owned by another user (default: when running as root).
    public var strictModes: Bool

    public init(strictModes: Bool? = nil) {
        self.init(limits: .standard, strictModes: strictModes)
    }

    package init(limits: ParseLimits, strictModes: Bool? = nil) {
        self.limits = limits
        self.strictModes = strictModes ?? (FileSystem.effectiveUser == 0)
    }

    /// The outcome of loading: the state (complete only when there are no errors), every diagnostic
    /// sorted by place, and the files read.
    public struct Result: Sendable {
        public var state: DesiredState
        public var diagnostics: [Diagnostic]
        public var files: [String]

        public var isValid: Bool { !diagnostics.hasErrors }
    }

    /// Loads every config file under `directory` (or the single file `directory` names).
    public func load(directory: String) -> Result {
        var scan = DirectoryScan(root: directory, strictModes: strictModes)
        scan.run()
        var diagnostics = scan.diagnostics
        var sources: [(path: String, bytes: [UInt8])] = []
        for file in scan.files {
            switch FileSystem.readFile(file.absolutePath, limit: limits.maxBytes) {
            case .success(let read): sources.append((file.relativePath, read.bytes))
            case .failure(.tooLarge(let size)):
                diagnostics.append(fileError(file.relativePath,
                    "file is \(size) bytes, more than the limit of \(limits.maxBytes) bytes; split it into several files"))
            case .failure(.notRegular):
                diagnostics.append(fileError(file.relativePath, "not a regular file"))
            case .failure(.system(let error)):
                diagnostics.append(fileError(file.relativePath, "cannot read: \(error)"))
            }
        }
        var result = load(sources: sources)
        result.diagnostics = (diagnostics + result.diagnostics).sorted()
        result.files = scan.files.map(\.relativePath)
        return result
    }

    /// Loads in-memory sources, as if they were files with these relative paths (in this order).
    public func load(sources: [(path: String, bytes: [UInt8])]) -> Result {
        var diagnostics: [Diagnostic] = []
        var objects: [(DecodedObject, Origin)] = []
        let parser = YAMLParser(limits: limits)
        for source in sources {
            var reader = Reader(path: source.path)
            do {
                let parsed = try parser.parse(source.bytes)
                for problem in parsed.problems { reader.error(problem.message, at: problem.mark) }
                for document in parsed.documents {
                    if let decoded = DocumentDecoder.decode(document, reader: &reader) { objects.append(decoded) }
                }
            } catch {
                reader.error(error.message, at: error.mark)
            }
            diagnostics += reader.diagnostics
        }
        var validator = Validator()
        let state = validator.assemble(objects)
        diagnostics += validator.diagnostics
        return Result(state: state, diagnostics: diagnostics.sorted(), files: sources.map(\.path))
    }

    private func fileError(_ path: String, _ message: String) -> Diagnostic {
        Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message)
    }
}
