public import DispoYAML

/// Loads a config directory into a ``DesiredState``, collecting every diagnostic.
public struct ConfigLoader: Sendable {
    package var limits: ParseLimits
    /// The largest config file read, in bytes.
    package var maxFileBytes: Int { limits.maxBytes }
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

        public init(state: DesiredState, diagnostics: [Diagnostic], files: [String]) {
            self.state = state
            self.diagnostics = diagnostics
            self.files = files
        }
    }

    /// Loads every config file under `directory` (or the single file `directory` names).
    public func load(directory: String) -> Result {
        let read = read(directory: directory, shownAs: "")
        var result = load(sources: read.sources)
        result.diagnostics = (read.diagnostics + result.diagnostics).sorted()
        result.files = read.sources.map(\.path)
        return result
    }

    /// Loads in-memory sources, as if they were files with these relative paths (in this order).
    public func load(sources: [(path: String, bytes: [UInt8])]) -> Result {
        load(layers: [sources])
    }

    /// Loads layers of in-memory sources, in order: an object of a later layer replaces the object of the same
    /// kind and name from earlier layers (the whole object); within one layer a name is declared once.
    public func load(layers: [[(path: String, bytes: [UInt8])]]) -> Result {
        var diagnostics: [Diagnostic] = []
        var decodedLayers: [[(DecodedObject, Origin)]] = []
        for layer in layers {
            let (objects, problems) = decode(layer)
            decodedLayers.append(objects)
            diagnostics += problems
        }
        // From the last layer back: keep what no later layer declared.
        var replaced: Set<ObjectKey> = []
        var kept: [[(DecodedObject, Origin)]] = []
        for layer in decodedLayers.reversed() {
            kept.append(layer.filter { !replaced.contains($0.0.key) })
            replaced.formUnion(layer.map(\.0.key))
        }
        let objects = Array(kept.reversed().joined())
        var validator = Validator()
        let state = validator.assemble(objects)
        diagnostics += validator.diagnostics
        return Result(state: state, diagnostics: diagnostics.sorted(), files: layers.flatMap { $0.map(\.path) })
    }

    /// Loads directories as layers (see ``load(layers:)``); each is shown in diagnostics by its `shownAs` path.
    /// A missing layer directory is an error, as a missing config directory is.
    public func load(layerDirectories: [(directory: String, shownAs: String)]) -> Result {
        var diagnostics: [Diagnostic] = []
        var layers: [[(path: String, bytes: [UInt8])]] = []
        for layer in layerDirectories {
            let read = read(directory: layer.directory, shownAs: layer.shownAs)
            diagnostics += read.diagnostics
            layers.append(read.sources)
        }
        var result = load(layers: layers)
        result.diagnostics = (diagnostics + result.diagnostics).sorted()
        return result
    }

    /// Scans and reads the config files under `directory`, their paths prefixed with `shownAs`.
    private func read(directory: String, shownAs prefix: String) -> (sources: [(path: String, bytes: [UInt8])], diagnostics: [Diagnostic]) {
        func shown(_ path: String) -> String { prefix.isEmpty ? path : (path == "." ? prefix : prefix + "/" + path) }
        var scan = DirectoryScan(root: directory, strictModes: strictModes)
        scan.run()
        var diagnostics = scan.diagnostics.map { diagnostic in
            var moved = diagnostic
            moved.path = shown(diagnostic.path)
            return moved
        }
        var sources: [(path: String, bytes: [UInt8])] = []
        for file in scan.files {
            let path = shown(file.relativePath)
            switch FileSystem.readFile(file.absolutePath, limit: limits.maxBytes) {
            case .success(let read): sources.append((path, read.bytes))
            case .failure(.tooLarge(let size)):
                diagnostics.append(fileError(path,
                    "file is \(size) bytes, more than the limit of \(limits.maxBytes) bytes; split it into several files"))
            case .failure(.notRegular):
                diagnostics.append(fileError(path, "not a regular file"))
            case .failure(.system(let error)):
                diagnostics.append(fileError(path, "cannot read: \(error)"))
            }
        }
        return (sources, diagnostics)
    }

    /// Parses and decodes each source; the objects in source order, and the problems found.
    private func decode(_ sources: [(path: String, bytes: [UInt8])]) -> ([(DecodedObject, Origin)], [Diagnostic]) {
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
        return (objects, diagnostics)
    }

    private func fileError(_ path: String, _ message: String) -> Diagnostic {
        Diagnostic(path: path, line: 0, column: 0, severity: .error, message: message)
    }
}
