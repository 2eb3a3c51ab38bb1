import DispoConfig
public import DispoDaemon
public import DispoEngine

/// A config given as YAML text, as the benchmarks' controllers load it: in memory, never cued.
public struct TextSource: ConfigSource {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    public func load() async -> ConfigLoad {
        ConfigLoad(ConfigLoader(strictModes: false).load(sources: [("c.yaml", Array(text.utf8))]))
    }

    /// Finished at once: the text never changes.
    public func status() async -> SourceStatus? { nil }

    public func changes() -> AsyncStream<ConfigCue> {
        AsyncStream { $0.finish() }
    }
}
