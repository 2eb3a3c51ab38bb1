import DispoConfig
import Testing

/// The source file (`kind: GitSource`) is decoded as strictly as the objects: every problem at its line,
/// column and key, and nothing usable from a file with errors.
struct GitSourceFileTests {
    static func decode(_ text: String) -> GitSourceFile.Result {
        GitSourceFile.decode(Array(text.utf8), path: "source.yaml")
    }

    @Test func aFullSourceFileDecodes() throws {
        let result = Self.decode("""
            apiVersion: dispo/v1
            kind: GitSource
            name: fleet
            url: ssh://git@git.example.org/infra/dispo.git
            ref: { branch: main }
            path: dispo
            layers: [common, "hosts/${host}"]
            host: dom0-a
            interval: 30s
            timeout: 2m
            verify: { mode: ssh, allowed_signers: /etc/dispo/allowed_signers }
            allow_non_fast_forward: true
            max_size: 64MiB
            state_directory: /var/lib/dispo

            """)
        #expect(result.diagnostics.isEmpty)
        let spec = try #require(result.spec)
        #expect(spec.name == "fleet" && spec.ref == .branch("main") && spec.path == "dispo")
        #expect(spec.interval == 30 && spec.timeout == 120 && spec.allowNonFastForward)
        #expect(spec.verification == .ssh(allowedSigners: "/etc/dispo/allowed_signers"))
        #expect(spec.maxSize == .mebibytes(64))
        #expect(spec.directories(host: "dom0-a") == ["dispo/common", "dispo/hosts/dom0-a"])
        #expect(spec.hostsDirectory == "dispo/hosts")
    }

    @Test func defaultsAreSafe() throws {
        let spec = try #require(Self.decode("""
            apiVersion: dispo/v1
            kind: GitSource
            name: c
            url: file:///srv/dispo.git
            ref: { tag: v1.2 }
            verify: { mode: none }

            """).spec)
        #expect(spec.layers == [""] && spec.path == "" && spec.interval == 60 && !spec.allowNonFastForward)
        #expect(spec.ref.label == "v1.2" && spec.hostsDirectory == nil)
    }

    @Test(arguments: [
        ("url: ftp://x/y.git", 4, "url must start with"),
        ("ref: { branch: main, tag: v1 }", 5, "exactly one of branch, tag or commit"),
        ("ref: { commit: xyz }", 5, "hex commit name"),
        ("ref: { branch: \"a..b\" }", 5, "not a plain branch or tag name"),
        ("path: ../etc", 7, "leaves the repository"),
        ("path: /etc", 7, "must be relative"),
        ("interval: 0s", 7, "greater than zero"),
        ("verify: { mode: ssh }", 6, "allowed_signers"),
        ("verify: { mode: gpg }", 6, "verify.mode"),
        ("verify: { mode: none, keyring: /k }", 6, "no effect"),
        ("branch: main", 7, "put it under ref"),
    ])
    func badValuesAreErrorsAtTheirKey(line: String, at expectedLine: Int, message: String) {
        var lines = [
            "apiVersion: dispo/v1", "kind: GitSource", "name: c", "url: file:///srv/d.git", "ref: { branch: main }",
            "verify: { mode: none }",
        ]
        let key = line.split(separator: ":").first.map(String.init) ?? ""
        if let index = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) {
            lines[index] = line
        } else {
            lines.append(line)
        }
        let result = Self.decode(lines.joined(separator: "\n") + "\n")
        #expect(result.spec == nil)
        let error = result.diagnostics.first { $0.severity == .error }
        #expect(error?.message.contains(message) == true, "\(result.diagnostics)")
        #expect(error?.path == "source.yaml" && error?.line == expectedLine, "\(result.diagnostics)")
    }

    @Test func verifyMustBeSaid() {
        let result = Self.decode("apiVersion: dispo/v1\nkind: GitSource\nname: c\nurl: file:///d.git\nref: {branch: main}\n")
        #expect(result.spec == nil)
        #expect(result.diagnostics.contains { $0.message.contains("verify") && $0.message.contains("mode: none") })
    }

    @Test func anObjectIsNotASourceFile() {
        let result = Self.decode("apiVersion: dispo/v1\nkind: Template\nname: t\n")
        #expect(result.diagnostics.contains { $0.message.contains("belong in the repository") })
    }

    @Test func laterLayersReplaceObjectsOfTheSameKindAndName() {
        let common = "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\nrevision: common\n"
        let host = "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\nrevision: host\n"
        let result = ConfigLoader(strictModes: false).load(layers: [
            [("common/t.yaml", Array(common.utf8))], [("hosts/a/t.yaml", Array(host.utf8))],
        ])
        #expect(result.isValid && result.state.templates["t"]?.revision.description == "host")
        let twice = ConfigLoader(strictModes: false).load(layers: [[("a.yaml", Array(common.utf8)), ("b.yaml", Array(host.utf8))]])
        #expect(twice.diagnostics.contains { $0.message.contains("duplicate") }, "within one layer a name is declared once")
    }
}
