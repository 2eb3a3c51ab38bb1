public import DispoConfig
import DispoEngine

/// What one declared object means in qubesd's terms: its class, its properties, features and tags.
///
/// Mapping (README "Qubes OS"): a DisposableTemplate is an AppVM with `template_for_dispvms=True`, its memory,
/// maxmem, vcpus, netvm, `qrexec_timeout` (from `ready.timeout`: on Qubes readiness is qrexec's), tags and the
/// preload features `preload-dispvm-max` / `-delay` (qubesd runs the queue); a NamedDisposable is a DispVM of its
/// disposable template with `auto_cleanup=False` and the effective settings. A qube that another declared qube
/// names as its netvm gets `provides_network=True`. Sizes are whole MiB, as qubesd keeps them.
public struct DesiredQube: Sendable {
    public var name: String
    public var role: QubesChange.Role
    /// `AppVM` or `DispVM`.
    public var klass: String
    /// The TemplateVM (AppVM) or the disposable template (DispVM).
    public var template: String
    public var label: String
    /// Properties in the order they are set (template_for_dispvms before the sizes, maxmem before memory).
    public var properties: [(name: String, value: String)]
    /// Features dispo manages on it; a nil value: must not be set.
    public var features: [(name: String, value: String?)]
    public var tags: [String]
    public var revision: String
    public var state: NamedDisposable.PowerState?

    /// The label a qube is created with when the files name none (qubesd requires one).
    public static let defaultLabel = "red"

    /// Every declared disposable template and named disposable whose references resolve, by name.
    public static func all(in desired: DesiredState) -> [String: DesiredQube] {
        let netvms = Set(desired.disposableTemplates.keys.compactMap { desired.spec(forDisposableTemplate: $0)?.netvm })
            .union(desired.namedDisposables.keys.compactMap { desired.spec(forNamedDisposable: $0)?.netvm })
        var qubes: [String: DesiredQube] = [:]
        for (name, dvm) in desired.disposableTemplates {
            guard let spec = desired.spec(forDisposableTemplate: name) else { continue }
            var features: [(String, String?)] = []
            let preloaded = dvm.preload.max > 0 || desired.system?.defaultDispVM == name
            features.append((QubesVocabulary.preloadMax, dvm.preload.max > 0 ? String(dvm.preload.max) : nil))
            features.append((QubesVocabulary.preloadDelay, preloaded ? seconds(dvm.preload.delay) : nil))
            let label = dvm.settings.label
            qubes[name] = DesiredQube(
                name: name, role: .disposableTemplate, klass: "AppVM", template: dvm.template,
                label: label?.rawValue ?? defaultLabel,
                properties: [("template_for_dispvms", "True"), ("template", dvm.template)]
                    + common(spec, providesNetwork: netvms.contains(name), label: label),
                features: features, tags: spec.tags,
                revision: revision(spec, label: label, extra: "\(dvm.preload.max) \(dvm.preload.delay)"), state: nil)
        }
        for (name, named) in desired.namedDisposables {
            guard let spec = desired.spec(forNamedDisposable: name) else { continue }
            let label = named.overrides.label ?? desired.disposableTemplates[named.template]?.settings.label
            qubes[name] = DesiredQube(
                name: name, role: .named, klass: "DispVM", template: named.template,
                label: label?.rawValue ?? defaultLabel,
                properties: [("auto_cleanup", "False")]
                    + common(spec, providesNetwork: netvms.contains(name), label: label),
                features: [], tags: spec.tags, revision: revision(spec, label: label, extra: named.template), state: named.state)
        }
        return qubes
    }

    /// The settings both kinds share; the label only when declared (else it stays as made, or as the user set it).
    private static func common(_ spec: EffectiveSpec, providesNetwork: Bool, label: QubesLabel?) -> [(String, String)] {
        var properties: [(String, String)] = [
            ("maxmem", String(spec.maxmem.mebibytes)), ("memory", String(spec.memory.mebibytes)),
            ("vcpus", String(spec.vcpus)), ("provides_network", providesNetwork ? "True" : "False"),
        ]
        if let ready = spec.ready { properties.append(("qrexec_timeout", String(max(1, Int(ready.timeout.seconds))))) }
        if let label { properties.append(("label", label.rawValue)) }
        properties.append(("netvm", spec.netvm ?? ""))
        return properties
    }

    /// Seconds as qubesd's `preload-dispvm-delay` takes them: `3`, `-1`, `0.5`.
    static func seconds(_ interval: Interval) -> String {
        interval.milliseconds % 1000 == 0 ? String(interval.milliseconds / 1000) : String(interval.seconds)
    }

    /// The digest of what shapes the qube (the Template's files do not: on Qubes the TemplateVM is qubesd's).
    private static func revision(_ spec: EffectiveSpec, label: QubesLabel?, extra: String) -> String {
        var digest = Digest()
        for part in [
            label?.rawValue ?? "-", spec.disposableTemplate, spec.template.name, spec.memory.description, spec.maxmem.description,
            String(spec.vcpus), spec.netvm ?? "-", spec.tags.joined(separator: ","),
            spec.ready.map { "\($0.timeout)" } ?? "-", extra,
        ] {
            digest.add(part)
        }
        return digest.hex
    }
}
