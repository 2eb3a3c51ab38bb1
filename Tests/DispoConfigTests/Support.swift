import DispoConfig

/// Loads in-memory files (path, text) in order.
func load(_ files: [(String, String)]) -> ConfigLoader.Result {
    ConfigLoader(strictModes: false).load(sources: files.map { ($0.0, Array($0.1.utf8)) })
}

/// Loads one file named `a.yaml`.
func load(_ text: String) -> ConfigLoader.Result {
    load([("a.yaml", text)])
}

/// `PATH:LINE:COLUMN: severity: message` lines, for exact comparisons.
func rendered(_ result: ConfigLoader.Result) -> [String] {
    result.diagnostics.map(\.description)
}

/// A minimal valid base: Template `debian-12`, DisposableTemplate `default-dvm`.
let base = """
    apiVersion: dispo/v1
    kind: Template
    name: debian-12
    kernel: /boot/vmlinuz
    ---
    apiVersion: dispo/v1
    kind: DisposableTemplate
    name: default-dvm
    template: debian-12

    """
