/// Writes a ``DesiredState`` as dispo/v1 YAML documents that load back to the same objects.
///
/// Objects come in kind order, then by name; only keys that are set are written.
public enum YAMLWriter {
    public static func write(_ state: DesiredState) -> String {
        var documents: [[String]] = []
        for name in state.templates.keys.sorted() {
            if let template = state.templates[name] { documents.append(lines(template)) }
        }
        for name in state.disposableTemplates.keys.sorted() {
            if let dvm = state.disposableTemplates[name] { documents.append(lines(dvm)) }
        }
        for name in state.namedDisposables.keys.sorted() {
            if let named = state.namedDisposables[name] { documents.append(lines(named)) }
        }
        if let system = state.system { documents.append(lines(system)) }
        return documents.map { (["---"] + $0).joined(separator: "\n") + "\n" }.joined()
    }

    static func lines(_ template: Template) -> [String] {
        var out = header(.template, template.name)
        out.append("type: \(template.type.rawValue)")
        if let kernel = template.kernel { out.append("kernel: \(scalar(kernel))") }
        if let ramdisk = template.ramdisk { out.append("ramdisk: \(scalar(ramdisk))") }
        if !template.cmdline.isEmpty { out.append("cmdline: \(scalar(template.cmdline))") }
        if !template.disks.isEmpty {
            out.append("disks:")
            for disk in template.disks {
                out.append(
                    "  - { target: \(scalar(disk.target)), source: \(scalar(disk.source)), mode: \(disk.mode.rawValue) }")
            }
        }
        if let volatile = template.volatile { out.append("volatile: \(volatile)") }
        out.append("revision: \(template.revision == .auto ? "auto" : scalar(template.revision.description))")
        return out
    }

    static func lines(_ dvm: DisposableTemplate) -> [String] {
        var out = header(.disposableTemplate, dvm.name)
        out.append("template: \(scalar(dvm.template))")
        out += settings(dvm.settings)
        out.append("preload: { max: \(dvm.preload.max), delay: \(dvm.preload.delay) }")
        return out
    }

    static func lines(_ named: NamedDisposable) -> [String] {
        var out = header(.namedDisposable, named.name)
        out.append("template: \(scalar(named.template))")
        out += settings(named.overrides)
        if let state = named.state { out.append("state: \(state.rawValue)") }
        return out
    }

    static func lines(_ system: SystemSettings) -> [String] {
        var out = ["apiVersion: \(ObjectKind.apiVersion)", "kind: System"]
        if let name = system.defaultDispVM { out.append("default_dispvm: \(scalar(name))") }
        var preload: [String] = []
        if let max = system.preload.max { preload.append("max: \(max)") }
        preload.append("threshold: \(system.preload.threshold)")
        out.append("preload: { \(preload.joined(separator: ", ")) }")
        return out
    }

    private static func header(_ kind: ObjectKind, _ name: String) -> [String] {
        ["apiVersion: \(ObjectKind.apiVersion)", "kind: \(kind.rawValue)", "name: \(scalar(name))"]
    }

    private static func settings(_ settings: DisposableSettings) -> [String] {
        var out: [String] = []
        if let memory = settings.memory { out.append("memory: \(memory)") }
        if let maxmem = settings.maxmem { out.append("maxmem: \(maxmem)") }
        if let vcpus = settings.vcpus { out.append("vcpus: \(vcpus)") }
        if let netvm = settings.netvm { out.append("netvm: \(netvm.name.map(scalar) ?? "none")") }
        if let tags = settings.tags { out.append("tags: [\(tags.map(scalar).joined(separator: ", "))]") }
        if let label = settings.label { out.append("label: \(label.rawValue)") }
        if let ready = settings.ready {
            out.append("ready: { xenstore: \(scalar(ready.xenstore)), timeout: \(ready.timeout) }")
        }
        return out
    }

    /// Plain when it cannot be misread (as null, a boolean, a number or YAML syntax); else double-quoted.
    static func scalar(_ text: String) -> String {
        let safeFirst = text.unicodeScalars.first.map { $0.isASCIILetter || $0 == "/" || $0 == "_" } ?? false
        let safeRest = text.unicodeScalars.allSatisfy {
            $0.isASCIILetter || $0.isASCIIDigit || "/_.-".unicodeScalars.contains($0)
        }
        let lowered = text.lowercased()
        let ambiguous = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "auto", "none"]
        if safeFirst, safeRest, !ambiguous.contains(lowered) { return text }
        return quoted(text)
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                let value = scalar.value
                if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0xFEFF || value == 0x2028
                    || value == 0x2029 || (0xD800...0xDFFF).contains(value)
                {
                    let hex = String(value, radix: 16, uppercase: true)
                    out += value > 0xFFFF ? "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
                        : "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
