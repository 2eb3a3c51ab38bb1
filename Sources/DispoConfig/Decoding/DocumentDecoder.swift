import DispoYAML

/// Decodes one YAML document into a model object, strictly: every problem becomes a diagnostic.
struct DocumentDecoder {
    static let commonKeys = ["apiVersion", "kind"]

    /// Decodes `document`; returns the object (nil if it cannot be identified) and its origin.
    static func decode(_ document: Node, reader: inout Reader) -> (DecodedObject, Origin)? {
        guard let fields = reader.fields(document, keyPath: nil) else { return nil }
        checkAPIVersion(fields, reader: &reader)
        guard let kindNode = fields["kind"] else {
            reader.error(
                "missing required key \"kind\" (one of \(ObjectKind.allCases.map(\.rawValue).joined(separator: ", ")))",
                at: document.mark)
            return nil
        }
        guard let kindText = reader.string(kindNode, keyPath: "kind") else { return nil }
        guard let kind = ObjectKind(rawValue: kindText) else {
            let kinds = ObjectKind.allCases.map(\.rawValue)
            reader.reject(
                kindNode, keyPath: "kind",
                "unknown kind \"\(kindText)\"\(Suggestion.hint(for: kindText, in: kinds)) "
                    + "(kinds: \(kinds.joined(separator: ", ")))")
            return nil
        }
        let object: DecodedObject?
        switch kind {
        case .template: object = TemplateDecoding.decode(fields, reader: &reader).map(DecodedObject.template)
        case .disposableTemplate:
            object = DisposableDecoding.decodeTemplate(fields, reader: &reader).map(DecodedObject.disposableTemplate)
        case .namedDisposable:
            object = DisposableDecoding.decodeNamed(fields, reader: &reader).map(DecodedObject.namedDisposable)
        case .system: object = SystemDecoding.decode(fields, reader: &reader).map(DecodedObject.system)
        }
        guard let object else { return nil }
        return (object, Origin(path: reader.path, document: document))
    }

    private static func checkAPIVersion(_ fields: Fields, reader: inout Reader) {
        guard let node = fields["apiVersion"] else {
            reader.error("missing required key \"apiVersion\" (use apiVersion: \(ObjectKind.apiVersion))", at: fields.node.mark)
            return
        }
        guard let version = reader.string(node, keyPath: "apiVersion") else { return }
        if version != ObjectKind.apiVersion {
            reader.reject(
                node, keyPath: "apiVersion",
                "unsupported version \"\(version)\"; this dispo reads \(ObjectKind.apiVersion)")
        }
    }

    /// Decodes the required `name`, reporting it missing.
    static func requiredName(_ fields: Fields, key: String = "name", what: String, reader: inout Reader) -> String? {
        guard let node = fields[key] else {
            reader.missing(key, in: fields, what: what)
            return nil
        }
        return reader.name(node, keyPath: key)
    }
}
