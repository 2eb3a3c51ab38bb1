import CInotifyTools
import Testing

@testable import DispoWatch

/// Which raw events count, without inotify.
struct EventFilterTests {
    static let tree: Int32 = 1
    static let parent: Int32 = 2

    static var watches: WatchSet {
        var set = WatchSet()
        set.add(tree, path: "/etc/dispo")
        set.markTree(tree)
        set.add(parent, path: "/etc")
        set.addName("dispo", to: parent)
        return set
    }

    @Test(
        arguments: [
            (tree, IN_CLOSE_WRITE, "a.yaml", "/etc/dispo/a.yaml"),
            (tree, IN_MOVED_TO, "a.yaml", "/etc/dispo/a.yaml"),
            (tree, IN_ATTRIB, "a.yaml", "/etc/dispo/a.yaml"),
            (tree, IN_CREATE | IN_ISDIR, "sub", "/etc/dispo/sub"),
            (tree, IN_CLOSE_WRITE, ".a.yaml.swp", nil),
            (tree, IN_CLOSE_WRITE, ".#a.yaml", nil),
            (tree, IN_CLOSE_WRITE, "a.yaml~", nil),
            (tree, IN_CREATE, "4913", nil),
            (tree, IN_CREATE | IN_ISDIR, ".git", nil),
            (tree, IN_DELETE_SELF, "", "/etc/dispo"),
            (tree, IN_ATTRIB, "", "/etc/dispo"),
            (tree, IN_IGNORED, "", nil),
            (parent, IN_MOVED_TO, "dispo", "/etc/dispo"),
            (parent, IN_DELETE | IN_ISDIR, "dispo", "/etc/dispo"),
            (parent, IN_CLOSE_WRITE, "passwd", nil),
            (parent, IN_ATTRIB, "", nil),
            (parent, IN_DELETE_SELF, "", "/etc"),
            (99, IN_CLOSE_WRITE, "a.yaml", nil),
            (-1, IN_Q_OVERFLOW, "", "(inotify queue overflow)"),
        ] as [(Int32, Int32, String, String?)])
    func relevance(watch: Int32, mask: Int32, name: String, expected: String?) {
        let event = InotifyEvent(watch: watch, mask: UInt32(bitPattern: mask), name: name)
        #expect(Self.watches.relevantPath(event) == expected)
    }

    @Test func newFoldersOfTheTreeAreWatchedAtOnce() {
        let folder = InotifyEvent(watch: Self.tree, mask: UInt32(IN_CREATE | IN_ISDIR), name: "sub")
        let hidden = InotifyEvent(watch: Self.tree, mask: UInt32(IN_CREATE | IN_ISDIR), name: ".git")
        let file = InotifyEvent(watch: Self.tree, mask: UInt32(IN_CREATE), name: "sub")
        #expect(Self.watches.newTreeFolder(folder) == "/etc/dispo/sub")
        #expect(Self.watches.newTreeFolder(hidden) == nil)
        #expect(Self.watches.newTreeFolder(file) == nil)
    }

    @Test func parsesPackedEventsWithPaddedNames() {
        var bytes: [UInt8] = []
        func append(_ watch: Int32, _ mask: UInt32, _ name: String, padded length: Int) {
            withUnsafeBytes(of: watch.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(0)) { bytes += $0 }
            withUnsafeBytes(of: UInt32(length).littleEndian) { bytes += $0 }
            bytes += Array(name.utf8) + Array(repeating: 0, count: length - name.utf8.count)
        }
        append(1, 0x8, "a.yaml", padded: 16)
        append(2, 0x400, "", padded: 0)
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(
            events == [
                InotifyEvent(watch: 1, mask: 0x8, name: "a.yaml"), InotifyEvent(watch: 2, mask: 0x400, name: ""),
            ])
    }
}
