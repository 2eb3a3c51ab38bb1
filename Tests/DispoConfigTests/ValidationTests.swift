import DispoConfig
import Foundation
import Testing

/// Checks that span objects and files: duplicates, references, memory, netvm.
struct ValidationTests {
    @Test func duplicateAcrossFilesNamesBothPlaces() {
        let again = "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: default-dvm\ntemplate: debian-12\n"
        let result = load([("base.yaml", base), ("more/again.yaml", again)])
        #expect(rendered(result) == [
            "more/again.yaml:3:7: error: duplicate DisposableTemplate \"default-dvm\"; first declared at base.yaml:8:7"
        ])
    }

    @Test func sameNameInDifferentKindsIsAllowed() {
        let named = "apiVersion: dispo/v1\nkind: NamedDisposable\nname: debian-12\ntemplate: default-dvm\n"
        #expect(rendered(load([("base.yaml", base), ("b.yaml", named)])) == [])
    }

    @Test func atMostOneSystem() {
        let system = "apiVersion: dispo/v1\nkind: System\n"
        let result = load([("a.yaml", system), ("b.yaml", "# second\n" + system)])
        #expect(rendered(result) == [
            "b.yaml:2:1: error: a second System (at most one is allowed); first declared at a.yaml:1:1"
        ])
    }

    @Test func danglingReferenceSuggestsAName() {
        let dvm = "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: work\ntemplate: debian-11\n"
        #expect(rendered(load([("base.yaml", base), ("a.yaml", dvm)])) == [
            "a.yaml:4:11: error: template: no Template named \"debian-11\"; did you mean \"debian-12\"?"
        ])
    }

    @Test(arguments: [
        ("NamedDisposable", "name: n\ntemplate: debian-12", "a.yaml:4:11: error: template \"debian-12\" is a Template, but must name a DisposableTemplate"),
        ("System", "default_dispvm: debian-12", "a.yaml:3:17: error: default_dispvm \"debian-12\" is a Template, but must name a DisposableTemplate"),
        ("DisposableTemplate", "name: w\ntemplate: default-dvm", "a.yaml:4:11: error: template \"default-dvm\" is a DisposableTemplate, but must name a Template"),
    ])
    func referenceToTheWrongKind(kind: String, body: String, expected: String) {
        let text = "apiVersion: dispo/v1\nkind: \(kind)\n\(body)\n"
        #expect(rendered(load([("base.yaml", base), ("a.yaml", text)])) == [expected])
    }

    @Test func undeclaredNetVMIsAWarning() {
        let dvm = "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: w\ntemplate: debian-12\nnetvm: sys-firewall\n"
        let result = load([("base.yaml", base), ("a.yaml", dvm)])
        #expect(rendered(result) == [
            "a.yaml:5:8: warning: netvm \"sys-firewall\" is not declared here; it must exist as a domain when disposables start"
        ])
        #expect(result.isValid)
    }

    @Test func netvmMustBeADomain() {
        let dvm = "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: w\ntemplate: debian-12\nnetvm: default-dvm\n"
        #expect(rendered(load([("base.yaml", base), ("a.yaml", dvm)])) == [
            "a.yaml:5:8: error: netvm \"default-dvm\" is a DisposableTemplate, which has no domain; name a NamedDisposable or an existing domain"
        ])
    }

    @Test func netvmLoopsAndSelfReferences() {
        let named = """
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-a
            template: default-dvm
            netvm: sys-b
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-b
            template: default-dvm
            netvm: sys-a
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-c
            template: default-dvm
            netvm: sys-c

            """
        #expect(rendered(load([("base.yaml", base), ("a.yaml", named)])) == [
            "a.yaml:5:8: error: netvm loop: sys-a -> sys-b -> sys-a",
            "a.yaml:17:8: error: netvm: a disposable cannot be its own netvm",
        ])
    }

    @Test func namedOverrideAboveInheritedMaxmem() {
        let text = """
            apiVersion: dispo/v1
            kind: DisposableTemplate
            name: small
            template: debian-12
            maxmem: 1GiB
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: big
            template: small
            memory: 2GiB

            """
        #expect(rendered(load([("base.yaml", base), ("a.yaml", text)])) == [
            "a.yaml:11:9: error: memory (2GiB) is larger than maxmem (1GiB)"
        ])
    }

    @Test func globalMaxWithoutDefaultDispVMWarns() {
        let text = "apiVersion: dispo/v1\nkind: System\npreload:\n  max: 2\n"
        #expect(rendered(load(text)) == ["a.yaml:4:8: warning: preload.max has no effect without default_dispvm"])
    }
}

/// The resolved settings the planner will use.
struct EffectiveSpecTests {
    static let config = base + """
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work
        template: debian-12
        memory: 600MiB
        netvm: sys-firewall
        tags: [work]
        preload: { max: 3 }
        ---
        apiVersion: dispo/v1
        kind: NamedDisposable
        name: sys-firewall
        template: work
        memory: 5GiB
        netvm: none
        ---
        apiVersion: dispo/v1
        kind: System
        default_dispvm: default-dvm
        preload: { max: 1 }

        """

    @Test func defaultsAreFilledIn() throws {
        let state = load(Self.config).state
        let spec = try #require(state.spec(forDisposableTemplate: "default-dvm"))
        #expect(spec.memory == .mebibytes(400))
        #expect(spec.maxmem == .mebibytes(4000))
        #expect(spec.vcpus == 2)
        #expect(spec.netvm == nil)
        #expect(spec.tags == [])
        #expect(spec.ready == nil)
        #expect(spec.template.name == "debian-12")
    }

    @Test func namedInheritsAndOverrides() throws {
        let result = load(Self.config)
        #expect(result.isValid)
        let spec = try #require(result.state.spec(forNamedDisposable: "sys-firewall"))
        #expect(spec.disposableTemplate == "work")
        #expect(spec.memory == .mebibytes(5 * 1024))
        #expect(spec.maxmem == .mebibytes(5 * 1024), "maxmem defaults to memory when memory is above 4000MiB")
        #expect(spec.netvm == nil, "netvm: none overrides the inherited sys-firewall")
        #expect(spec.tags == ["work"])
    }

    @Test func globalMaxOverridesOnlyTheDefaultDispVM() {
        let state = load(Self.config).state
        #expect(state.effectivePreloadMax(forDisposableTemplate: "default-dvm") == 1)
        #expect(state.effectivePreloadMax(forDisposableTemplate: "work") == 3)
        #expect(state.effectivePreloadMax(forDisposableTemplate: "missing") == 0)
    }

    @Test func globalMaxOfZeroStillOverrides() {
        let text = Self.config.replacingOccurrences(of: "preload: { max: 1 }", with: "preload: { max: 0 }")
            .replacingOccurrences(of: "default_dispvm: default-dvm", with: "default_dispvm: work")
        #expect(load(text).state.effectivePreloadMax(forDisposableTemplate: "work") == 0)
    }
}
