public import DispoConfig
public import DispoHost

/// What a request asks for, in Qubes' policy terms.
package enum RequestTarget: Sendable, Hashable, CustomStringConvertible {
    /// A disposable template by name.
    case template(String)
    /// `@dispvm`: the source's default disposable template (System.default_dispvm when there is no source).
    case defaultDispVM
    /// `@dispvm:@tag:TAG`: the one disposable template with that tag.
    case tagged(String)

    /// Parses `NAME`, `@dispvm`, `@dispvm:NAME` or `@dispvm:@tag:TAG` (nil: `@dispvm`).
    package static func parse(_ text: String?) throws(RequestError) -> RequestTarget {
        guard let text, !text.isEmpty, text != "@dispvm" else { return .defaultDispVM }
        if text.hasPrefix("@dispvm:@tag:") {
            let tag = String(text.dropFirst("@dispvm:@tag:".count))
            guard !tag.isEmpty else { throw RequestError(.badRequest, "@dispvm:@tag: needs a tag, e.g. @dispvm:@tag:work") }
            return .tagged(tag)
        }
        if text.hasPrefix("@dispvm:") {
            let name = String(text.dropFirst("@dispvm:".count))
            guard !name.isEmpty else { throw RequestError(.badRequest, "@dispvm: needs a name, e.g. @dispvm:default-dvm") }
            return .template(name)
        }
        if text.hasPrefix("@") {
            throw RequestError(.badRequest,
                "unknown target \(text); use a disposable template name, @dispvm, @dispvm:NAME or @dispvm:@tag:TAG")
        }
        return .template(text)
    }

    package var description: String {
        switch self {
        case .template(let name): return name
        case .defaultDispVM: return "@dispvm"
        case .tagged(let tag): return "@dispvm:@tag:\(tag)"
        }
    }

    /// The disposable template the target names.
    ///
    /// `@dispvm` from a source follows Qubes: a disposable (named or not) uses its own disposable template;
    /// any other source, or none, uses System.default_dispvm.
    package func resolve(in desired: DesiredState, source: String?, snapshot: HostSnapshot) throws(RequestError)
        -> String
    {
        switch self {
        case .template(let name):
            guard desired.disposableTemplates[name] != nil else {
                let hint = Suggestion.hint(for: name, in: desired.disposableTemplates.keys.sorted())
                throw RequestError(.notFound, "no disposable template named \(name)\(hint)")
            }
            return name
        case .tagged(let tag):
            let matches = desired.disposableTemplates.values.filter { $0.settings.tags?.contains(tag) == true }
                .map(\.name).sorted()
            guard let only = matches.first else {
                let known = Set(desired.disposableTemplates.values.flatMap { $0.settings.tags ?? [] }).sorted()
                let listed = known.isEmpty ? "no disposable template has any tag" : "the tags are \(known.joined(separator: ", "))"
                throw RequestError(.notFound, "no disposable template has the tag \(tag); \(listed)")
            }
            guard matches.count == 1 else {
                throw RequestError(.badRequest,
                    "\(matches.count) disposable templates have the tag \(tag): \(matches.joined(separator: ", ")); name one")
            }
            return only
        case .defaultDispVM:
            if let source {
                if let named = desired.namedDisposables[source] { return named.template }
                if let domain = snapshot.domain(named: source), domain.isOwned,
                    let template = domain.metadata[MetadataKey.template], desired.disposableTemplates[template] != nil
                {
                    return template
                }
            }
            guard let name = desired.system?.defaultDispVM else {
                throw RequestError(.notFound, "@dispvm: no default_dispvm is set (kind: System); name a disposable template")
            }
            return name
        }
    }
}
