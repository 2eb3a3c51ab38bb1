import DispoYAML

/// Decodes `kind: System`.
enum SystemDecoding {
    static let keys = DocumentDecoder.commonKeys + ["default_dispvm", "preload"]
    static let preloadKeys = ["max", "threshold"]

    static func decode(_ fields: Fields, reader: inout Reader) -> SystemSettings? {
        fields.rejectUnknown(
            allowed: keys, in: "System",
            hints: ["name": "the System is a singleton and has no name", "delay": "delay is set per DisposableTemplate"],
            reader: &reader)
        var system = SystemSettings()
        if let node = fields["default_dispvm"], !node.isNull {
            system.defaultDispVM = reader.name(node, keyPath: "default_dispvm")
        }
        if let node = fields["preload"], let inner = reader.fields(node, keyPath: "preload") {
            inner.rejectUnknown(
                allowed: preloadKeys, in: "System preload",
                hints: ["delay": "delay is set per DisposableTemplate, under its preload"], reader: &reader)
            if let node = inner["max"] {
                system.preload.max = reader.integer(
                    node, keyPath: inner.path("max"), range: 0...DisposableTemplate.Preload.maxLimit)
            }
            if let node = inner["threshold"] {
                system.preload.threshold =
                    reader.size(node, keyPath: inner.path("threshold"), allowZero: true) ?? system.preload.threshold
            }
        }
        return system
    }
}
