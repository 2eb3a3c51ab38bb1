import DispoYAML

/// Decodes `kind: DisposableTemplate` and `kind: NamedDisposable`, which share the disposable settings.
enum DisposableDecoding {
    static let settingKeys = ["memory", "maxmem", "vcpus", "netvm", "tags", "ready", "label"]
    static let templateKeys = DocumentDecoder.commonKeys + ["name", "template"] + settingKeys + ["preload"]
    static let namedKeys = DocumentDecoder.commonKeys + ["name", "template"] + settingKeys + ["state"]
    static let readyKeys = ["xenstore", "timeout"]
    static let preloadKeys = ["max", "delay"]
    static let maxVcpus = 128

    /// Explanations for keys that belong to another kind.
    static let settingHints: [String: String] = [
        "memory": "memory is set on a DisposableTemplate or NamedDisposable",
        "preload": "preloading is set on a DisposableTemplate (or globally on the System)",
        "state": "state is set on a NamedDisposable",
    ]

    static func decodeTemplate(_ fields: Fields, reader: inout Reader) -> DisposableTemplate? {
        fields.rejectUnknown(
            allowed: templateKeys, in: "DisposableTemplate",
            hints: ["state": "state is set on a NamedDisposable; disposable templates have no domain of their own"],
            reader: &reader)
        let name = DocumentDecoder.requiredName(fields, what: "DisposableTemplate", reader: &reader)
        let template = DocumentDecoder.requiredName(fields, key: "template", what: "DisposableTemplate", reader: &reader)
        let settings = decodeSettings(fields, reader: &reader)
        var preload = DisposableTemplate.Preload()
        if let node = fields["preload"], let inner = reader.fields(node, keyPath: "preload") {
            inner.rejectUnknown(allowed: preloadKeys, in: "preload", reader: &reader)
            if let node = inner["max"] {
                let range = 0...DisposableTemplate.Preload.maxLimit
                preload.max = reader.integer(node, keyPath: inner.path("max"), range: range) ?? 0
            }
            if let node = inner["delay"] {
                preload.delay =
                    reader.interval(node, keyPath: inner.path("delay"), allowNegative: true)
                    ?? DisposableTemplate.Preload.defaultDelay
            }
        }
        guard let name, let template else { return nil }
        return DisposableTemplate(name: name, template: template, settings: settings, preload: preload)
    }

    static func decodeNamed(_ fields: Fields, reader: inout Reader) -> NamedDisposable? {
        fields.rejectUnknown(
            allowed: namedKeys, in: "NamedDisposable",
            hints: ["preload": "preloading applies to unnamed disposables; set it on the DisposableTemplate"],
            reader: &reader)
        let name = DocumentDecoder.requiredName(fields, what: "NamedDisposable", reader: &reader)
        let template = DocumentDecoder.requiredName(fields, key: "template", what: "NamedDisposable", reader: &reader)
        let overrides = decodeSettings(fields, reader: &reader)
        var state: NamedDisposable.PowerState?
        if let node = fields["state"], !node.isNull {
            state = reader.choice(node, keyPath: "state", as: NamedDisposable.PowerState.self)
        }
        guard let name, let template else { return nil }
        return NamedDisposable(name: name, template: template, overrides: overrides, state: state)
    }

    private static func decodeSettings(_ fields: Fields, reader: inout Reader) -> DisposableSettings {
        var settings = DisposableSettings()
        if let node = fields["memory"] { settings.memory = reader.size(node, keyPath: "memory", allowZero: false) }
        if let node = fields["maxmem"] { settings.maxmem = reader.size(node, keyPath: "maxmem", allowZero: false) }
        if let node = fields["vcpus"] { settings.vcpus = reader.integer(node, keyPath: "vcpus", range: 1...maxVcpus) }
        if let node = fields["netvm"] { settings.netvm = decodeNetVM(node, reader: &reader) }
        if let node = fields["tags"], let items = reader.list(node, keyPath: "tags") {
            settings.tags = decodeTags(items, reader: &reader)
        }
        if let node = fields["ready"] { settings.ready = decodeReady(node, reader: &reader) }
        if let node = fields["label"] { settings.label = reader.choice(node, keyPath: "label", as: QubesLabel.self) }
        return settings
    }

    private static func decodeNetVM(_ node: Node, reader: inout Reader) -> NetVM? {
        if node.isNull || node.scalar == "none" { return NetVM.none }
        return reader.name(node, keyPath: "netvm").map(NetVM.domain)
    }

    private static func decodeTags(_ items: [Node], reader: inout Reader) -> [String] {
        var tags: [String] = []
        for (index, item) in items.enumerated() {
            let keyPath = "tags[\(index)]"
            guard let tag = reader.string(item, keyPath: keyPath) else { continue }
            let valid = !tag.isEmpty && tag.unicodeScalars.allSatisfy {
                $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-"
            }
            if !valid {
                reader.reject(item, keyPath: keyPath, "tag \"\(tag)\" may hold only letters, digits, '_' and '-'")
            } else if tags.contains(tag) {
                reader.reject(item, keyPath: keyPath, "tag \"\(tag)\" is listed twice")
            } else {
                tags.append(tag)
            }
        }
        return tags
    }

    private static func decodeReady(_ node: Node, reader: inout Reader) -> Readiness? {
        guard let fields = reader.fields(node, keyPath: "ready") else { return nil }
        fields.rejectUnknown(allowed: readyKeys, in: "ready", reader: &reader)
        var timeout = Readiness.defaultTimeout
        if let node = fields["timeout"] {
            let keyPath = fields.path("timeout")
            timeout = reader.interval(node, keyPath: keyPath, allowNegative: false, allowZero: false) ?? timeout
        }
        guard let keyNode = fields["xenstore"] else {
            reader.missing("xenstore", in: fields, what: "ready (the xenstore key the guest writes when ready)")
            return nil
        }
        let keyPath = fields.path("xenstore")
        guard let key = reader.string(keyNode, keyPath: keyPath) else { return nil }
        guard isXenstoreKey(key) else {
            reader.reject(
                keyNode, keyPath: keyPath,
                "\(keyPath) must be a key relative to the guest's xenstore tree, like data/ready; found \"\(key)\"")
            return nil
        }
        return Readiness(xenstore: key, timeout: timeout)
    }

    /// A relative xenstore path: `[A-Za-z0-9_][A-Za-z0-9_./-]*`.
    static func isXenstoreKey(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCIILetter || first.isASCIIDigit || first == "_" else {
            return false
        }
        return text.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "_./-".unicodeScalars.contains($0) }
    }
}
