import Testing

@testable import DispoConfig

/// Every field of every kind with a bad value: the error names the field's key path (`memory: ...`,
/// `preload.delay: ...`, `disks[1].mode ...`), once, and sits at the value.
struct FieldDiagnosticTests {
    /// One bad value. `yaml` replaces the header's line for the same top-level key; `‸` marks where the
    /// error must point (it is removed before loading).
    struct Case: CustomTestStringConvertible, Sendable {
        var kind: ObjectKind
        var key: String
        var yaml: String
        var testDescription: String { "\(kind) \(yaml.replacing("‸", with: "").replacing("\n", with: "; "))" }

        init(_ kind: ObjectKind, _ key: String, _ yaml: String) {
            self.kind = kind
            self.key = key
            self.yaml = yaml
        }
    }

    /// A valid object of each kind, one line per key (loaded after `base`).
    static func header(_ kind: ObjectKind) -> [String] {
        let common = ["apiVersion: dispo/v1", "kind: \(kind.rawValue)"]
        switch kind {
        case .template: return common + ["name: t", "kernel: /k"]
        case .disposableTemplate: return common + ["name: work", "template: debian-12"]
        case .namedDisposable: return common + ["name: sys-x", "template: default-dvm"]
        case .system: return common
        }
    }

    static let common: [Case] = [
        Case(.template, "apiVersion", "apiVersion: ‸dispo/v2"),
        Case(.disposableTemplate, "apiVersion", "apiVersion: ‸[1]"),
        Case(.system, "kind", "kind: ‸Systm"),
        Case(.namedDisposable, "kind", "kind: ‸[NamedDisposable]"),
    ]

    static let template: [Case] = [
        Case(.template, "name", "name: ‸\"\""),
        Case(.template, "name", "name: ‸9lives"),
        Case(.template, "type", "type: ‸pvhh"),
        Case(.template, "kernel", "kernel: ‸vmlinuz"),
        Case(.template, "kernel", "kernel: ‸[a]"),
        Case(.template, "ramdisk", "ramdisk: ‸initrd.img"),
        Case(.template, "cmdline", "cmdline: ‸{a: 1}"),
        Case(.template, "disks", "disks: ‸xvda"),
        Case(.template, "disks[0]", "disks:\n  - ‸xvda"),
        Case(.template, "disks[0].target", "disks:\n  - { target: ‸vda, source: /r }"),
        Case(
            .template, "disks[1].target", "disks:\n  - { target: xvda, source: /a }\n  - { target: ‸xvda, source: /b }"),
        Case(.template, "disks[0].source", "disks:\n  - { target: xvda, source: ‸root.img }"),
        Case(.template, "disks[0].mode", "disks:\n  - target: xvda\n    source: /r\n    mode: ‸rw"),
        Case(
            .template, "disks[1].mode",
            "disks:\n  - { target: xvda, source: /a }\n  - { target: xvdb, source: /b, mode: ‸ro2 }"),
        Case(.template, "volatile", "volatile: ‸2GB"),
        Case(.template, "volatile", "volatile: ‸-1"),
        Case(.template, "revision", "revision: ‸[1]"),
    ]

    static let disposableTemplate: [Case] = [
        Case(.disposableTemplate, "name", "name: ‸dom0"),
        Case(.disposableTemplate, "template", "template: ‸disp12"),
        Case(.disposableTemplate, "template", "template: ‸[a]"),
        Case(.disposableTemplate, "template", "template: ‸debian-11"),
        Case(.disposableTemplate, "memory", "memory: ‸4 bananas"),
        Case(.disposableTemplate, "memory", "memory: ‸bananas"),
        Case(.disposableTemplate, "memory", "memory: ‸0"),
        Case(.disposableTemplate, "memory", "memory: ‸2GiB\nmaxmem: 1GiB"),
        Case(.disposableTemplate, "maxmem", "maxmem: ‸1.5XB"),
        Case(.disposableTemplate, "maxmem", "maxmem: ‸\"512\""),
        Case(.disposableTemplate, "maxmem", "maxmem: ‸0.3K"),
        Case(.disposableTemplate, "label", "label: ‸pink"),
        Case(.disposableTemplate, "label", "label: ‸[red]"),
        Case(.disposableTemplate, "vcpus", "vcpus: ‸two"),
        Case(.disposableTemplate, "vcpus", "vcpus: ‸129"),
        Case(.disposableTemplate, "netvm", "netvm: ‸dom0"),
        Case(.disposableTemplate, "netvm", "netvm: ‸\"sys net\""),
        Case(.disposableTemplate, "netvm", "netvm: ‸default-dvm"),
        Case(.disposableTemplate, "tags", "tags: ‸work"),
        Case(.disposableTemplate, "tags[0]", "tags: [‸[a]]"),
        Case(.disposableTemplate, "tags[1]", "tags: [work, ‸\"bad tag\"]"),
        Case(.disposableTemplate, "tags[1]", "tags: [work, ‸work]"),
        Case(.disposableTemplate, "ready", "ready: ‸yes"),
        Case(.disposableTemplate, "ready.xenstore", "ready: { xenstore: ‸/local/domain/0/x }"),
        Case(.disposableTemplate, "ready.xenstore", "ready:\n  xenstore: ‸[a]"),
        Case(.disposableTemplate, "ready.timeout", "ready: { xenstore: data/ready, timeout: ‸5d }"),
        Case(.disposableTemplate, "ready.timeout", "ready: { xenstore: data/ready, timeout: ‸0 }"),
        Case(.disposableTemplate, "ready.timeout", "ready: { xenstore: data/ready, timeout: ‸\"5\" }"),
        Case(.disposableTemplate, "preload", "preload: ‸3"),
        Case(.disposableTemplate, "preload.max", "preload: { max: ‸51 }"),
        Case(.disposableTemplate, "preload.max", "preload:\n  max: ‸many"),
        Case(.disposableTemplate, "preload.delay", "preload: { delay: ‸3 days }"),
        Case(.disposableTemplate, "preload.delay", "preload: { delay: ‸1.0005 }"),
        Case(.disposableTemplate, "preload.delay", "preload: { delay: ‸[3] }"),
    ]

    static let namedDisposable: [Case] = [
        Case(.namedDisposable, "name", "name: ‸disp42"),
        Case(.namedDisposable, "template", "template: ‸debian-12"),
        Case(.namedDisposable, "template", "template: ‸work-dvm"),
        Case(.namedDisposable, "template", "template: ‸\"\""),
        Case(.namedDisposable, "state", "state: ‸on"),
        Case(.namedDisposable, "label", "label: ‸Red"),
        Case(.namedDisposable, "memory", "memory: ‸1.5.5GiB"),
        Case(.namedDisposable, "maxmem", "maxmem: ‸100MiB"),
        Case(.namedDisposable, "vcpus", "vcpus: ‸-1"),
        Case(.namedDisposable, "netvm", "netvm: ‸sys-x"),
        Case(.namedDisposable, "netvm", "netvm: ‸none-of-these!"),
        Case(.namedDisposable, "tags[0]", "tags: [‸\"a b\"]"),
        Case(.namedDisposable, "ready", "ready: ‸[data/ready]"),
        Case(.namedDisposable, "ready.timeout", "ready: { xenstore: data/ready, timeout: ‸-5s }"),
        Case(.namedDisposable, "ready.xenstore", "ready: { xenstore: ‸\"-x\" }"),
    ]

    static let system: [Case] = [
        Case(.system, "default_dispvm", "default_dispvm: ‸none"),
        Case(.system, "default_dispvm", "default_dispvm: ‸debian-12"),
        Case(.system, "default_dispvm", "default_dispvm: ‸defualt-dvm"),
        Case(.system, "preload", "preload: ‸[1]"),
        Case(.system, "preload.max", "preload: { max: ‸51 }"),
        Case(.system, "preload.max", "default_dispvm: default-dvm\npreload: { max: ‸\"2\" }"),
        Case(.system, "preload.threshold", "preload: { threshold: ‸lots }"),
        Case(.system, "preload.threshold", "preload: { threshold: ‸1GB }"),
        Case(.system, "preload.threshold", "preload: { threshold: ‸-1 }"),
    ]

    /// The document of `testCase` and the 1-based line and column of its `‸`.
    static func document(_ testCase: Case) -> (text: String, line: Int, column: Int) {
        let top = testCase.yaml.prefix { $0 != ":" }
        let kept = header(testCase.kind).filter { $0.prefix { $0 != ":" } != top }
        let marked = (kept + [testCase.yaml]).joined(separator: "\n") + "\n"
        let before = marked.prefix { $0 != "‸" }
        let lines = before.split(separator: "\n", omittingEmptySubsequences: false)
        return (marked.replacing("‸", with: ""), lines.count, (lines.last?.count ?? 0) + 1)
    }

    @Test(arguments: common + template + disposableTemplate + namedDisposable + system)
    func namesTheKeyAtTheValue(_ testCase: Case) throws {
        let (text, line, column) = Self.document(testCase)
        let result = load([("base.yaml", base), ("a.yaml", text)])
        let errors = result.diagnostics.filter { $0.severity == .error }
        try #require(errors.count == 1, "\(rendered(result))")
        let error = errors[0]
        #expect((error.path, error.line, error.column) == ("a.yaml", line, column), "\(error)")
        let key = testCase.key
        #expect(error.message.hasPrefix("\(key): ") || error.message.hasPrefix("\(key) "), "\(error)")
        #expect(!error.message.hasPrefix("\(key): \(key)"), "said twice: \(error)")
    }

    /// Every key the decoder accepts, in every kind, has a case above (list items counted once, as `disks.mode`).
    @Test func everyKeyHasACase() {
        let all = Self.common + Self.template + Self.disposableTemplate + Self.namedDisposable + Self.system
        func covered(_ kind: ObjectKind) -> Set<String> {
            let keys = all.filter { $0.kind == kind || Self.common.map(\.key).contains($0.key) }.map(\.key)
            return Set(keys.map { $0.replacing(/\[[0-9]+\]/, with: "") })
        }
        let accepted: [ObjectKind: [String]] = [
            .template: TemplateDecoding.keys + ["disks"] + TemplateDecoding.diskKeys.map { "disks.\($0)" },
            .disposableTemplate: DisposableDecoding.templateKeys + ["ready", "preload"]
                + DisposableDecoding.readyKeys.map { "ready.\($0)" }
                + DisposableDecoding.preloadKeys.map { "preload.\($0)" },
            .namedDisposable: DisposableDecoding.namedKeys + DisposableDecoding.readyKeys.map { "ready.\($0)" },
            .system: SystemDecoding.keys + SystemDecoding.preloadKeys.map { "preload.\($0)" },
        ]
        for (kind, keys) in accepted {
            let cases = covered(kind)
            for key in keys {
                #expect(cases.contains(key), "\(kind) \(key) has no bad-value case")
            }
        }
    }
}
