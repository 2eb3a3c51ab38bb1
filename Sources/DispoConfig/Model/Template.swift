/// A bootable base: kernel, ramdisk, command line, disks (Qubes: TemplateVM).
public struct Template: Sendable, Hashable {
    public enum VirtualizationType: String, Sendable, Hashable, CaseIterable {
        case pv, pvh, hvm
    }

    /// A disk every disposable gets.
    public struct Disk: Sendable, Hashable {
        public enum Mode: String, Sendable, Hashable, CaseIterable {
            /// Attached read-only, shared by every disposable.
            case ro
            /// A private copy per disposable, discarded with it.
            case snapshot
        }

        public var target: String
        public var source: String
        public var mode: Mode

        public init(target: String, source: String, mode: Mode = .ro) {
            self.target = target
            self.source = source
            self.mode = mode
        }
    }

    /// Where a template's revision comes from.
    public enum Revision: Sendable, Hashable, CustomStringConvertible {
        /// A fingerprint of the files the template names.
        case auto
        /// A revision the user bumps by hand.
        case fixed(String)

        public var description: String {
            switch self {
            case .auto: return "auto"
            case .fixed(let value): return value
            }
        }
    }

    public var name: String
    public var type: VirtualizationType
    public var kernel: String?
    public var ramdisk: String?
    public var cmdline: String
    public var disks: [Disk]
    /// Size of a fresh scratch disk per disposable; nil for none.
    public var volatile: Size?
    public var revision: Revision

    public init(
        name: String, type: VirtualizationType = .pvh, kernel: String? = nil, ramdisk: String? = nil,
        cmdline: String = "", disks: [Disk] = [], volatile: Size? = nil, revision: Revision = .auto
    ) {
        self.name = name
        self.type = type
        self.kernel = kernel
        self.ramdisk = ramdisk
        self.cmdline = cmdline
        self.disks = disks
        self.volatile = volatile
        self.revision = revision
    }

    /// The files `revision: auto` fingerprints: kernel, ramdisk and disk sources.
    public var revisionFiles: [String] {
        [kernel, ramdisk].compactMap { $0 } + disks.map(\.source)
    }
}
