import DispoConfig
import Testing

/// Every single-object diagnostic, with its exact position. Each case is loaded after `base.yaml`.
struct DecodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: [String]
        var testDescription: String { name }
    }

    static let dvmHeader = "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: work\ntemplate: debian-12\n"

    static let cases: [Case] = [
        Case(
            name: "unknown key with suggestion", text: dvmHeader + "memroy: 400MiB\n",
            expected: ["a.yaml:5:1: error: unknown key \"memroy\" in DisposableTemplate; did you mean \"memory\"?"]),
        Case(
            name: "unknown nested key", text: dvmHeader + "preload:\n  max: 2\n  dealy: 3s\n",
            expected: ["a.yaml:7:3: error: unknown key \"dealy\" in preload; did you mean \"delay\"?"]),
        Case(
            name: "misspelt kind", text: "apiVersion: dispo/v1\nkind: Templte\nname: x\n",
            expected: [
                "a.yaml:2:7: error: kind: unknown kind \"Templte\"; did you mean \"Template\"? "
                    + "(kinds: Template, DisposableTemplate, NamedDisposable, System)"
            ]),
        Case(
            name: "missing kind", text: "apiVersion: dispo/v1\nname: x\n",
            expected: [
                "a.yaml:1:1: error: missing required key \"kind\" (one of Template, DisposableTemplate, NamedDisposable, System)"
            ]),
        Case(
            name: "wrong apiVersion", text: "apiVersion: dispo/v2\nkind: System\n",
            expected: ["a.yaml:1:13: error: apiVersion: unsupported version \"dispo/v2\"; this dispo reads dispo/v1"]),
        Case(
            name: "missing apiVersion", text: "kind: System\n",
            expected: ["a.yaml:1:1: error: missing required key \"apiVersion\" (use apiVersion: dispo/v1)"]),
        Case(
            name: "document not a mapping", text: "- a\n- b\n",
            expected: ["a.yaml:1:1: error: a document must be a mapping, found a list"]),
        Case(
            name: "integer of the wrong type", text: dvmHeader + "vcpus: two\n",
            expected: ["a.yaml:5:8: error: vcpus must be an integer, found two"]),
        Case(
            name: "quoted integer", text: dvmHeader + "vcpus: \"2\"\n",
            expected: ["a.yaml:5:8: error: vcpus must be an integer, found the string \"2\""]),
        Case(
            name: "vcpus zero", text: dvmHeader + "vcpus: 0\n",
            expected: ["a.yaml:5:8: error: vcpus must be between 1 and 128, found 0"]),
        Case(
            name: "size as a list", text: dvmHeader + "memory: [1]\n",
            expected: ["a.yaml:5:9: error: memory must be a size like 400 (MiB) or \"1.5GiB\", found a list"]),
        Case(
            name: "size with a decimal unit", text: dvmHeader + "memory: 4GB\n",
            expected: [
                "a.yaml:5:9: error: memory: unknown size unit \"GB\" in \"4GB\"; did you mean \"GiB\"? (sizes are binary: KiB MiB GiB TiB)"
            ]),
        Case(
            name: "zero memory", text: dvmHeader + "memory: 0\n",
            expected: ["a.yaml:5:9: error: memory must be greater than zero"]),
        Case(
            name: "negative size", text: dvmHeader + "maxmem: -4\n",
            expected: ["a.yaml:5:9: error: maxmem cannot be negative, found -4"]),
        Case(
            name: "memory above maxmem", text: dvmHeader + "memory: 2GiB\nmaxmem: 1GiB\n",
            expected: ["a.yaml:5:9: error: memory (2GiB) is larger than maxmem (1GiB)"]),
        Case(
            name: "preload max out of range", text: dvmHeader + "preload:\n  max: 51\n",
            expected: ["a.yaml:6:8: error: preload.max must be between 0 and 50, found 51"]),
        Case(
            name: "negative preload max", text: dvmHeader + "preload: { max: -1 }\n",
            expected: ["a.yaml:5:17: error: preload.max must be between 0 and 50, found -1"]),
        Case(
            name: "negative ready timeout", text: dvmHeader + "ready: { xenstore: data/ready, timeout: -5s }\n",
            expected: [
                "a.yaml:5:41: error: ready.timeout cannot be negative (only preload.delay may be), found -5s"
            ]),
        Case(
            name: "negative delay is allowed", text: dvmHeader + "preload: { max: 1, delay: -1 }\n", expected: []),
        Case(
            name: "ready without a key", text: dvmHeader + "ready:\n  timeout: 5s\n",
            expected: [
                "a.yaml:6:3: error: missing required key \"xenstore\" in ready (the xenstore key the guest writes when ready)"
            ]),
        Case(
            name: "absolute xenstore key", text: dvmHeader + "ready: { xenstore: /local/domain/0/x }\n",
            expected: [
                "a.yaml:5:20: error: ready.xenstore must be a key relative to the guest's xenstore tree, like data/ready; "
                    + "found \"/local/domain/0/x\""
            ]),
        Case(
            name: "reserved name", text: "apiVersion: dispo/v1\nkind: DisposableTemplate\nname: dom0\ntemplate: debian-12\n",
            expected: ["a.yaml:3:7: error: name \"dom0\" is reserved"]),
        Case(
            name: "unnamed disposable name", text: "apiVersion: dispo/v1\nkind: NamedDisposable\nname: disp42\ntemplate: default-dvm\n",
            expected: ["a.yaml:3:7: error: name \"disp42\" is reserved for unnamed disposables (disp<digits>)"]),
        Case(
            name: "missing name", text: "apiVersion: dispo/v1\nkind: DisposableTemplate\ntemplate: debian-12\n",
            expected: ["a.yaml:1:1: error: missing required key \"name\" in DisposableTemplate"]),
        Case(
            name: "template needs a kernel", text: "apiVersion: dispo/v1\nkind: Template\nname: t\n",
            expected: ["a.yaml:1:1: error: missing required key \"kernel\" in Template (a pvh domain boots a kernel)"]),
        Case(name: "hvm needs no kernel", text: "apiVersion: dispo/v1\nkind: Template\nname: t\ntype: hvm\n", expected: []),
        Case(
            name: "relative kernel", text: "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: vmlinuz\n",
            expected: ["a.yaml:4:9: error: kernel must be an absolute path, found \"vmlinuz\""]),
        Case(
            name: "bad type", text: "apiVersion: dispo/v1\nkind: Template\nname: t\ntype: pvhh\nkernel: /k\n",
            expected: ["a.yaml:4:7: error: type must be one of pv, pvh, hvm, found \"pvhh\"; did you mean \"pvh\"?"]),
        Case(
            name: "bad disk mode",
            text: "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\ndisks:\n  - { target: xvda, source: /r, mode: rw }\n",
            expected: ["a.yaml:6:39: error: disks[0].mode must be one of ro, snapshot, found \"rw\"; did you mean \"ro\"?"]),
        Case(
            name: "disk without source and with an unknown key",
            text: "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\ndisks:\n  - target: xvda\n    size: 1\n",
            expected: [
                "a.yaml:6:5: error: missing required key \"source\" in disks[0]",
                "a.yaml:7:5: error: unknown key \"size\" in disks[0]",
            ]),
        Case(
            name: "disk target used twice",
            text: "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\ndisks:\n"
                + "  - { target: xvda, source: /a }\n  - { target: xvda, source: /b }\n",
            expected: ["a.yaml:7:15: error: disks[1].target: disk target \"xvda\" is used twice (first at line 6 column 15)"]),
        Case(
            name: "preload on a named disposable",
            text: "apiVersion: dispo/v1\nkind: NamedDisposable\nname: n\ntemplate: default-dvm\npreload: { max: 1 }\n",
            expected: [
                "a.yaml:5:1: error: unknown key \"preload\" in NamedDisposable: preloading applies to unnamed "
                    + "disposables; set it on the DisposableTemplate"
            ]),
        Case(
            name: "bad state",
            text: "apiVersion: dispo/v1\nkind: NamedDisposable\nname: n\ntemplate: default-dvm\nstate: on\n",
            expected: ["a.yaml:5:8: error: state must be one of running, halted, found \"on\""]),
        Case(
            name: "system with a name", text: "apiVersion: dispo/v1\nkind: System\nname: sys\n",
            expected: ["a.yaml:3:1: error: unknown key \"name\" in System: the System is a singleton and has no name"]),
        Case(
            name: "bad tag", text: dvmHeader + "tags: [work, \"bad tag\"]\n",
            expected: ["a.yaml:5:14: error: tags[1]: tag \"bad tag\" may hold only letters, digits, '_' and '-'"]),
        Case(
            name: "a key that is not a string, in a nested mapping", text: dvmHeader + "preload: { [max]: 1 }\n",
            expected: ["a.yaml:5:12: error: preload: keys must be plain strings, found a list"]),
        Case(
            name: "a key that is not a string, in a document", text: dvmHeader + "[memory]: 1\n",
            expected: ["a.yaml:5:1: error: keys must be plain strings, found a list"]),
        Case(
            name: "reserved netvm", text: dvmHeader + "netvm: dom0\n",
            expected: ["a.yaml:5:8: error: netvm: name \"dom0\" is reserved"]),
        Case(
            name: "tags not a list", text: dvmHeader + "tags: work\n",
            expected: ["a.yaml:5:7: error: tags must be a list, found work"]),
        Case(
            name: "duplicate key", text: dvmHeader + "vcpus: 1\nvcpus: 2\n",
            expected: ["a.yaml:6:1: error: duplicate key \"vcpus\" (first at line 5 column 1)"]),
        Case(
            name: "several errors in one file are all reported",
            text: dvmHeader + "vcpus: 0\nmemory: lots\n---\napiVersion: dispo/v1\nkind: Systm\n",
            expected: [
                "a.yaml:5:8: error: vcpus must be between 1 and 128, found 0",
                "a.yaml:6:9: error: memory: \"lots\" is not a size: expected a number then a unit, like 512MiB or 1.5GiB",
                "a.yaml:9:7: error: kind: unknown kind \"Systm\"; did you mean \"System\"? "
                    + "(kinds: Template, DisposableTemplate, NamedDisposable, System)",
            ]),
        Case(
            name: "tab indentation", text: "apiVersion: dispo/v1\nkind: System\npreload:\n\tmax: 1\n",
            expected: ["a.yaml:4:1: error: found a tab character; YAML indentation must use spaces"]),
        Case(
            name: "equivalent spellings are valid",
            text: dvmHeader + "memory: 400\nmaxmem: \"3.90625GiB\"\nnetvm: none\npreload: { max: 2, delay: 3 }\n",
            expected: []),
    ]

    @Test(arguments: cases)
    func reportsAtTheRightPlace(_ testCase: Case) {
        let result = load([("base.yaml", base), ("a.yaml", testCase.text)])
        #expect(rendered(result) == testCase.expected)
        #expect(result.isValid == !testCase.expected.contains { $0.contains(": error: ") })
    }
}
