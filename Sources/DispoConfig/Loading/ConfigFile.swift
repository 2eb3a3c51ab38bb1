/// A YAML file found in the config directory.
public struct ConfigFile: Sendable, Hashable {
    /// Path relative to the config directory, used in every message.
    public var relativePath: String
    public var absolutePath: String

    public init(relativePath: String, absolutePath: String) {
        self.relativePath = relativePath
        self.absolutePath = absolutePath
    }

    /// True for names dispo reads: `*.yaml`/`*.yml`, not hidden, not an editor's temporary file.
    public static func isConfigName(_ name: String) -> Bool {
        guard !isIgnoredName(name) else { return false }
        return name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    /// Hidden files and editor droppings: `.*` (covers `.#*`), `*~`, `*.swp`, `*.swx`, `4913`.
    public static func isIgnoredName(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx")
            || name == "4913"
    }
}
