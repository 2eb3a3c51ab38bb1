import DispoYAML

/// Decodes `kind: Template`.
enum TemplateDecoding {
    static let keys = DocumentDecoder.commonKeys + [
        "name", "type", "kernel", "ramdisk", "cmdline", "disks", "volatile", "revision",
    ]
    static let diskKeys = ["target", "source", "mode"]

    static func decode(_ fields: Fields, reader: inout Reader) -> Template? {
        fields.rejectUnknown(allowed: keys, in: "Template", hints: DisposableDecoding.settingHints, reader: &reader)
        let name = DocumentDecoder.requiredName(fields, what: "Template", reader: &reader)
        var template = Template(name: name ?? "")
        if let node = fields["type"] {
            template.type = reader.choice(node, keyPath: "type", as: Template.VirtualizationType.self) ?? .pvh
        }
        if let node = fields["kernel"] {
            template.kernel = reader.absolutePath(node, keyPath: "kernel")
        } else if template.type != .hvm {
            reader.error(
                "missing required key \"kernel\" in Template (a \(template.type.rawValue) domain boots a kernel)",
                at: fields.node.mark)
        }
        if let node = fields["ramdisk"] { template.ramdisk = reader.absolutePath(node, keyPath: "ramdisk") }
        if let node = fields["cmdline"] { template.cmdline = reader.string(node, keyPath: "cmdline") ?? "" }
        if let node = fields["disks"], let items = reader.list(node, keyPath: "disks") {
            template.disks = decodeDisks(items, reader: &reader)
        }
        if let node = fields["volatile"] { template.volatile = reader.size(node, keyPath: "volatile", allowZero: true) }
        if let node = fields["revision"], let text = reader.string(node, keyPath: "revision") {
            template.revision = text == "auto" ? .auto : .fixed(text)
        }
        return name == nil ? nil : template
    }

    private static func decodeDisks(_ items: [Node], reader: inout Reader) -> [Template.Disk] {
        var disks: [Template.Disk] = []
        var targets: [String: Mark] = [:]
        for (index, item) in items.enumerated() {
            let keyPath = "disks[\(index)]"
            guard let fields = reader.fields(item, keyPath: keyPath) else { continue }
            fields.rejectUnknown(allowed: diskKeys, in: keyPath, reader: &reader)
            var target: String?
            if let node = fields["target"] {
                let targetPath = fields.path("target")
                target = reader.string(node, keyPath: targetPath)
                if let value = target, !isDiskTarget(value) {
                    reader.reject(
                        node, keyPath: targetPath,
                        "\(targetPath) must name a virtual disk like xvda, xvdb or sda, found \"\(value)\"")
                    target = nil
                } else if let value = target, let first = targets[value] {
                    reader.reject(
                        node, keyPath: targetPath,
                        "disk target \"\(value)\" is used twice (first at line \(first.line) column \(first.column))")
                } else if let value = target {
                    targets[value] = node.mark
                }
            } else {
                reader.missing("target", in: fields, what: keyPath)
            }
            var source: String?
            if let node = fields["source"] {
                source = reader.absolutePath(node, keyPath: fields.path("source"))
            } else {
                reader.missing("source", in: fields, what: keyPath)
            }
            var mode = Template.Disk.Mode.ro
            if let node = fields["mode"] {
                mode = reader.choice(node, keyPath: fields.path("mode"), as: Template.Disk.Mode.self) ?? .ro
            }
            if let target, let source { disks.append(Template.Disk(target: target, source: source, mode: mode)) }
        }
        return disks
    }

    /// `xvd`, `sd` or `hd` and one or two letters.
    static func isDiskTarget(_ text: String) -> Bool {
        for prefix in ["xvd", "sd", "hd"] where text.hasPrefix(prefix) {
            let rest = text.unicodeScalars.dropFirst(prefix.count)
            return (1...2).contains(rest.count) && rest.allSatisfy { (0x61...0x7A).contains($0.value) }
        }
        return false
    }
}
