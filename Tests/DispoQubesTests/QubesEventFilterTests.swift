import DispoQubes
import Testing

/// Which qubesd events wake the Qubes controller: what may be drift of dispo's qubes, not qubesd's own bustle.
struct QubesEventFilterTests {
    static let filter: QubesEventFilter = {
        // examples/qubes declares default-dvm, dvm-sys, sys-net, ...; `old-dvm` is only in dispo's index
        (try? QubesEventFilter(desired: loadExample(), index: ["old-dvm"]))
            ?? QubesEventFilter(watched: [], properties: [])
    }()

    static let cases: [(String, String, [String: String], Bool)] = [
        // a watched qube's managed property, tag, feature, power state
        ("dvm-sys", "property-set:memory", ["newvalue": "777"], true),
        ("dvm-sys", "property-reset:netvm", [:], true),
        ("default-dvm", "property-set:template_for_dispvms", [:], true),
        ("sys-firewall", "property-set:auto_cleanup", [:], true),
        ("whonix-workstation-17-dvm", "domain-tag-delete:anon-vm", ["tag": "anon-vm"], true),
        ("default-dvm", "domain-feature-set:preload-dispvm-max", ["value": "5"], true),
        ("default-dvm", "domain-feature-delete:dispo-revision", [:], true),
        ("sys-net", "domain-shutdown", [:], true),
        ("sys-net", "domain-start", [:], true),
        ("old-dvm", "property-set:memory", [:], true),
        // qubesd's own bustle on a watched qube
        ("default-dvm", "domain-feature-set:preload-dispvm", ["value": "disp12 disp34"], false),
        ("sys-net", "property-reset:xid", [:], false),
        ("sys-net", "property-set:start_time", [:], false),
        ("sys-net", "domain-qdb-create", [:], false),
        // qubes dispo does not keep
        ("disp1234", "property-set:memory", [:], false),
        ("work", "domain-tag-add:anon-vm", [:], false),
        ("debian-12-xfce", "property-set:memory", [:], false),
        // dom0 and the whole system
        ("", "property-set:default_dispvm", ["newvalue": "work"], true),
        ("", "property-set:clockvm", [:], false),
        ("dom0", "domain-feature-set:preload-dispvm-max", [:], true),
        ("dom0", "domain-feature-delete:dispo-qubes", [:], true),
        ("dom0", "domain-feature-set:gui-default-color", [:], false),
        ("", "domain-add", ["vm": "sys-usb"], true),
        ("", "domain-delete", ["vm": "dvm-sys"], true),
        ("", "domain-add", ["vm": "disp99"], false),
        ("", "connection-established", [:], false),
    ]

    @Test(arguments: cases)
    func relevance(_ subject: String, _ name: String, _ arguments: [String: String], _ relevant: Bool) {
        let event = AdminEvent(subject: subject, name: name, arguments: arguments)
        #expect(Self.filter.isRelevant(event) == relevant, "\(subject) \(name)")
    }
}
