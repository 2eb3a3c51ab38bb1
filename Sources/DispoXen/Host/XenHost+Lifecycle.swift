public import DispoHost
import DispoConfig
import Foundation

extension XenHost {
    /// Creates the domain paused (never run; the first ``unpause(_:)`` boots it).
    ///
    /// In order: the spec is checked (HVM and kernel-less templates are refused); on the worker, the name is
    /// checked free, the memory libxl says the domain needs is checked free, and the record (metadata, UUID) is
    /// written atomically (refused if one exists); then the domain's files are made off the worker (snapshot
    /// copies reflinked or copied with a warning, volatile disks sparse); then `libxl_domain_create_new`, then the
    /// guest's empty meminfo node, which the guest owns (``XenstorePaths/guestMeminfo(_:)``). A failure after the
    /// record was written removes the files and the record again.
    public func create(_ request: CreateRequest) async throws(HostError) -> Domain {
        let name = request.name
        try Self.validate(name)
        let spec = request.spec
        let directory = directory(of: name)
        let disks = DiskPlan.disks(of: spec.template, directory: directory)
        let uuid = UUID().uuidString.lowercased()
        _ = try DomainConfigMapping.config(name: name, uuid: uuid, spec: spec, disks: disks)  // refuse early

        try await worker.run { session throws(HostError) in
            if session.libxl.domid(of: name) != nil {
                throw HostError(.alreadyExists, domain: name, "a domain with this name already exists")
            }
            // Devices do not change the memory a domain needs, and libxl would check that their files and
            // backends exist (the copies are not made yet): ask about the bare domain.
            var bare = spec
            bare.netvm = nil
            let config = try DomainConfigMapping.config(name: name, uuid: uuid, spec: bare, disks: [])
            let needed = try session.libxl.neededMemoryKiB(config, name: name)
            let free = try session.libxl.freeMemoryKiB()
            guard free >= needed else {
                throw HostError(
                    .insufficientMemory, domain: name,
                    "needs \(Size(kibibytes: needed)) but the host has \(Size(kibibytes: free)) free")
            }
            try session.metadata.claim(name, uuid: uuid, values: request.metadata)
        }
        do {
            let warn = options.warn
            let stateDirectory = options.stateDirectory
            let methods = try await offload("dispo-xen-disks") { () throws(HostError) in
                try Self.makeFiles(disks, in: directory)
            }
            for (disk, method) in methods where method == .fullCopy {
                warn(
                    "\(name): snapshot disk \(disk.target) was copied in full because the filesystem of "
                        + "\(stateDirectory) cannot make reflinks; use XFS or Btrfs there for instant copies")
            }
            return try await worker.run { session throws(HostError) in
                let config = try DomainConfigMapping.config(name: name, uuid: uuid, spec: spec, disks: disks)
                let domid = try session.libxl.create(config, name: name)
                guard let live = session.libxl.domain(domid) else {
                    throw HostError(.operationFailed, domain: name, "domain \(domid) vanished right after creation")
                }
                do {
                    try session.prepareMeminfo(domid)
                } catch {
                    // Not worth the domain: without the node the guest cannot report, and its preload is not shrunk.
                    warn("\(name): cannot create its meminfo node, so it cannot report its memory use: \(error)")
                }
                return Domain(
                    name: name, uuid: live.uuid, domid: Int(domid), power: live.flags.power,
                    memory: Size(kibibytes: live.currentKiB), maxmem: Size(kibibytes: live.maxKiB),
                    metadata: request.metadata)
            }
        } catch {
            _ = try? await offload("dispo-xen-disks") { () throws(HostError) in try DiskFiles.removeDirectory(directory) }
            _ = try? await worker.run { session throws(HostError) in try session.metadata.remove(name) }
            throw error
        }
    }

    /// Destroys the domain (`libxl_domain_destroy`), then removes its files, then its record. For a record
    /// without a domain (a crash mid-create or mid-destroy) only the files and the record are removed.
    public func destroy(_ name: String) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let (domain, _) = try session.owned(name)
            if let domain { try session.libxl.destroy(domain.domid, name: name) }
        }
        let directory = directory(of: name)
        try await offload("dispo-xen-disks") { () throws(HostError) in try DiskFiles.removeDirectory(directory) }
        try await worker.run { session throws(HostError) in try session.metadata.remove(name) }
    }

    /// Makes the files of `disks` the domain owns, in `directory` (created, 0700); returns how each copy was made.
    static func makeFiles(_ disks: [PlannedDisk], in directory: String) throws(HostError)
        -> [(PlannedDisk, DiskFiles.CopyMethod)]
    {
        guard disks.contains(where: \.isOwned) else { return [] }
        try DiskFiles.makeDirectory(directory)
        var methods: [(PlannedDisk, DiskFiles.CopyMethod)] = []
        for disk in disks {
            switch disk.origin {
            case .shared:
                continue
            case .copy(let source):
                methods.append((disk, try DiskFiles.copy(from: source, to: disk.path)))
            case .fresh(let size):
                try DiskFiles.createSparse(disk.path, size: size)
            }
        }
        return methods
    }
}
