public import DispoConfig

/// One disk a domain gets, and where its file comes from.
public struct PlannedDisk: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// The template's file itself, attached read-only and shared by every disposable (`mode: ro`).
        case shared
        /// A private copy of `source` made for this domain (`mode: snapshot`): reflinked where possible.
        case copy(source: String)
        /// A fresh sparse file of this size (the template's `volatile` scratch disk).
        case fresh(Size)
    }

    /// The guest's device name, e.g. `xvda`.
    public var target: String
    /// The file handed to libxl.
    public var path: String
    public var writable: Bool
    public var origin: Origin

    public init(target: String, path: String, writable: Bool, origin: Origin) {
        self.target = target
        self.path = path
        self.writable = writable
        self.origin = origin
    }

    /// True when the domain owns the file (it lives in the domain's directory and goes with it).
    public var isOwned: Bool { origin != .shared }
}

/// Decides the disks of a domain from its template; pure.
public enum DiskPlan {
    /// The file name of the volatile disk inside the domain's directory.
    public static let volatileFile = "volatile.img"

    /// The template's disks in order, then the volatile disk (when the template has one) as the first `xvdX`
    /// from `xvdb` that no template disk uses. Files the domain owns go in `directory`: `<target>.img` for a
    /// snapshot copy, `volatile.img` for the volatile disk.
    public static func disks(of template: Template, directory: String) -> [PlannedDisk] {
        var disks = template.disks.map { disk -> PlannedDisk in
            switch disk.mode {
            case .ro:
                return PlannedDisk(target: disk.target, path: disk.source, writable: false, origin: .shared)
            case .snapshot:
                return PlannedDisk(
                    target: disk.target, path: directory + "/" + fileName(for: disk.target), writable: true,
                    origin: .copy(source: disk.source))
            }
        }
        if let size = template.volatile {
            let used = Set(template.disks.map(\.target))
            let target = volatileTarget(avoiding: used)
            disks.append(
                PlannedDisk(target: target, path: directory + "/" + volatileFile, writable: true, origin: .fresh(size)))
        }
        return disks
    }

    /// `<target>.img`, with anything but `[A-Za-z0-9_-]` replaced by `_` (a target is a device name, never a path).
    static func fileName(for target: String) -> String {
        let safe = target.unicodeScalars.map { scalar -> String in
            let plain = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-")
            return plain ? String(scalar) : "_"
        }
        return safe.joined() + ".img"
    }

    static func volatileTarget(avoiding used: Set<String>) -> String {
        for letter in "bcdefghijklmnopqrstuvwxyz" where !used.contains("xvd\(letter)") {
            return "xvd\(letter)"
        }
        return "xvdzz"
    }
}
