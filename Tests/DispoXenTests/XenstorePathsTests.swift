import DispoXen
import Testing

struct XenstorePathsTests {
    @Test func layout() {
        let paths = XenstorePaths()
        #expect(paths.root == "/dispo")
        #expect(paths.domains == "/dispo/domains")
        #expect(paths.host == "/dispo/host")
        #expect(paths.domain("disp12") == "/dispo/domains/disp12")
        #expect(paths.domain("disp12", key: "owner") == "/dispo/domains/disp12/owner")
        #expect(paths.host(key: "observed-config") == "/dispo/host/observed-config")
        #expect(XenstorePaths(root: "/test/dispo").domain("a", key: "stage") == "/test/dispo/domains/a/stage")
    }

    @Test func theGuestWritesReadinessUnderItsOwnTree() {
        #expect(XenstorePaths.guest(12, key: "data/ready") == "/local/domain/12/data/ready")
        #expect(XenstorePaths.guest(3, key: "/data/ready") == "/local/domain/3/data/ready")
        #expect(XenstorePaths.releaseDomain == "@releaseDomain")
        #expect(XenstorePaths.introduceDomain == "@introduceDomain")
    }

    /// xenstore accepts only [A-Za-z0-9_@-] in a component: dots (in names, `released.12`, `lastuse.x`) are escaped.
    @Test(arguments: [
        ("disp12", "disp12"), ("debian-12.x", "debian-12_2ex"), ("released.1234", "released_2e1234"),
        ("lastuse.default-dvm", "lastuse_2edefault-dvm"), ("a_b", "a_5fb"), ("sys@x/y", "sys_40x_2fy"),
        ("é", "_c3_a9"),
    ])
    func escaping(text: String, component: String) {
        #expect(XenstorePaths.escape(text) == component)
        #expect(XenstorePaths.unescape(component) == text)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@")
        #expect(component.allSatisfy(allowed.contains))
    }

    @Test(arguments: ["_", "_4", "_zz", "a_g0"])
    func badEscapesAreRejected(component: String) {
        #expect(XenstorePaths.unescape(component) == nil)
    }
}
