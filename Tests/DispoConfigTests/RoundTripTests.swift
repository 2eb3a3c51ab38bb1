import DispoConfig
import PropertyBased
import DispoTestKit
import Testing

/// Any valid model written out as YAML loads back equal.
struct RoundTripTests {
    @Test func randomModelsSurviveWritingAndLoading() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let state = RandomModel.make(&random)
            let text = YAMLWriter.write(state)
            let result = load([("written.yaml", text)])
            #expect(result.diagnostics.errorCount == 0, "\(rendered(result))\n\(text)")
            #expect(result.state.sameObjects(as: state), "\(text)")
        }
    }

    @Test func examplesSurviveWritingAndLoading() throws {
        for example in ["quickstart", "qubes", "gitops"] {
            let loaded = ConfigLoader(strictModes: false).load(directory: "\(BinaryRunner.packageRoot)/examples/\(example)")
            try #require(loaded.isValid, "\(rendered(loaded))")
            let again = load([("written.yaml", YAMLWriter.write(loaded.state))])
            #expect(again.state.sameObjects(as: loaded.state), "\(example)")
        }
    }
}


/// Random valid desired states covering every field and awkward strings.
enum RandomModel {
    static let awkward = [
        "console=hvc0 root=/dev/xvda ro", "quote \" and 'single'", "colon: space", "# not a comment", "yes", "null",
        "12", "1.5", "tab\there", "line\nbreak", "ünïcødé ✓", "*star", "&amp", "{braces}", "[list]", "- dash",
        "trailing space ", " leading", "back\\slash", "%percent", "@at", "`tick`", "~", "",
    ]

    static func make(_ random: inout SplitMix) -> DesiredState {
        var state = DesiredState()
        let templateNames = names("tpl", count: Int.random(in: 1...3, using: &random), &random)
        for name in templateNames {
            state.templates[name] = template(name, &random)
        }
        let dvmNames = names("dvm", count: Int.random(in: 1...4, using: &random), &random)
        for name in dvmNames {
            var dvm = DisposableTemplate(
                name: name, template: templateNames.randomElement(using: &random) ?? "", settings: settings(&random))
            dvm.preload = .init(
                max: Int.random(in: 0...50, using: &random),
                delay: Interval(milliseconds: Int64.random(in: -5000...90_000, using: &random)))
            state.disposableTemplates[name] = dvm
        }
        for name in names("named", count: Int.random(in: 0...3, using: &random), &random) {
            state.namedDisposables[name] = NamedDisposable(
                name: name, template: dvmNames.randomElement(using: &random) ?? "", overrides: settings(&random),
                state: [nil, .running, .halted].randomElement(using: &random) ?? nil)
        }
        if Bool.random(using: &random) {
            state.system = SystemSettings(
                defaultDispVM: Bool.random(using: &random) ? dvmNames.randomElement(using: &random) : nil,
                preload: .init(
                    max: Bool.random(using: &random) ? Int.random(in: 0...50, using: &random) : nil,
                    threshold: Size(kibibytes: UInt64.random(in: 0...(64 << 20), using: &random))))
            if state.system?.defaultDispVM == nil { state.system?.preload.max = nil }
        }
        return state
    }

    static func names(_ prefix: String, count: Int, _ random: inout SplitMix) -> [String] {
        let middle = ["", "-a", ".b", "_c", "-12", "X"]
        return (0..<count).map { "\(prefix)\(middle.randomElement(using: &random) ?? "")\($0)" }
    }

    static func template(_ name: String, _ random: inout SplitMix) -> Template {
        let type = Template.VirtualizationType.allCases.randomElement(using: &random) ?? .pvh
        let disks = (0..<Int.random(in: 0...3, using: &random)).map { index in
            Template.Disk(
                target: ["xvda", "xvdb", "xvdc", "sda"][index], source: "/var/lib/dispo/\(name)/disk \(index).img",
                mode: Bool.random(using: &random) ? .ro : .snapshot)
        }
        return Template(
            name: name, type: type,
            kernel: type == .hvm && Bool.random(using: &random) ? nil : "/boot/vmlinuz-\(name)",
            ramdisk: Bool.random(using: &random) ? "/boot/initrd img" : nil,
            cmdline: awkward.randomElement(using: &random) ?? "", disks: disks,
            volatile: Bool.random(using: &random) ? Size(kibibytes: UInt64.random(in: 0...(8 << 20), using: &random)) : nil,
            revision: Bool.random(using: &random) ? .auto : .fixed((awkward.randomElement(using: &random) ?? "") + "r"))
    }

    static func settings(_ random: inout SplitMix) -> DisposableSettings {
        var settings = DisposableSettings()
        if Bool.random(using: &random) { settings.memory = Size(kibibytes: UInt64.random(in: 1...(2 << 20), using: &random)) }
        if Bool.random(using: &random) {
            settings.maxmem = Size(kibibytes: UInt64.random(in: (4 << 20)...(16 << 20), using: &random))
        }
        if Bool.random(using: &random) { settings.vcpus = Int.random(in: 1...128, using: &random) }
        if Bool.random(using: &random) { settings.netvm = Bool.random(using: &random) ? NetVM.none : .domain("sys-external") }
        if Bool.random(using: &random) {
            settings.tags = Array(["work", "anon-vm", "x_1", "2fa"].shuffled(using: &random).prefix(Int.random(in: 0...4, using: &random)))
        }
        if Bool.random(using: &random) {
            settings.ready = Readiness(
                xenstore: ["data/ready", "ready", "a/b.c-d_e"].randomElement(using: &random) ?? "ready",
                timeout: Interval(milliseconds: Int64.random(in: 1...600_000, using: &random)))
        }
        return settings
    }
}
