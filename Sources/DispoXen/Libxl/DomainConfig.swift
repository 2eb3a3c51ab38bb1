public import CXenLight
public import DispoConfig
public import DispoHost

#if canImport(Glibc)
    import Glibc
#endif

/// A `libxl_domain_config` this object owns (disposed and freed with it).
///
/// Not `Sendable`: it is made and used on one thread (the Xen worker, or a test).
public final class LibxlDomainConfig {
    /// The C struct; valid as long as this object lives.
    public let pointer: UnsafeMutablePointer<libxl_domain_config>

    init() {
        pointer = .allocate(capacity: 1)
        libxl_domain_config_init(pointer)
    }

    deinit {
        libxl_domain_config_dispose(pointer)
        pointer.deallocate()
    }

    /// The config as libxl's own JSON generator writes it (what `xl` would store), compact unless `pretty`.
    public func json(pretty: Bool = false) -> String? {
        guard let text = dispo_domain_config_json(pointer, pretty ? 1 : 0) else { return nil }
        defer { free(text) }
        return String(cString: text)
    }
}

/// Maps an effective spec to a libxl domain config; pure (no libxl context, no I/O), so tests render it to JSON.
public enum DomainConfigMapping {
    /// The config of a domain named `name` with the UUID `uuid`, booting `spec` with `disks` (from ``DiskPlan``).
    ///
    /// PV and PVH: direct kernel boot (kernel, ramdisk and cmdline when set), memory as the balloon target and
    /// maxmem as the ceiling, `vcpus` online out of `vcpus`, the disks as raw files (read-only when not
    /// writable), one network interface in `netvm` when set, and `on_crash: preserve` so that a crash stays
    /// visible until dispo destroys the domain. HVM is refused.
    public static func config(name: String, uuid: String, spec: EffectiveSpec, disks: [PlannedDisk])
        throws(HostError) -> LibxlDomainConfig
    {
        let template = spec.template
        let type: libxl_domain_type
        switch template.type {
        case .pv: type = LIBXL_DOMAIN_TYPE_PV
        case .pvh: type = LIBXL_DOMAIN_TYPE_PVH
        case .hvm:
            throw HostError(
                .operationFailed, domain: name,
                "template \(template.name) is type hvm, which the xen backend does not support; use pv or pvh")
        }
        guard let kernel = template.kernel, !kernel.isEmpty else {
            throw HostError(
                .operationFailed, domain: name,
                "template \(template.name) has no kernel; \(template.type.rawValue) domains boot a kernel directly")
        }
        guard spec.vcpus >= 1 else {
            throw HostError(.operationFailed, domain: name, "vcpus must be at least 1 (got \(spec.vcpus))")
        }
        let config = LibxlDomainConfig()
        let c = config.pointer

        c.pointee.c_info.type = type
        c.pointee.c_info.name = strdup(name)
        guard libxl_uuid_from_string(&c.pointee.c_info.uuid, uuid) == 0 else {
            throw HostError(.operationFailed, domain: name, "not a UUID: \(uuid)")
        }

        libxl_domain_build_info_init_type(&c.pointee.b_info, type)
        c.pointee.b_info.max_memkb = max(spec.maxmem, spec.memory).kibibytes
        c.pointee.b_info.target_memkb = spec.memory.kibibytes
        c.pointee.b_info.max_vcpus = Int32(spec.vcpus)
        try setOnline(spec.vcpus, in: &c.pointee.b_info.avail_vcpus, domain: name)
        c.pointee.b_info.kernel = strdup(kernel)
        if let ramdisk = template.ramdisk, !ramdisk.isEmpty { c.pointee.b_info.ramdisk = strdup(ramdisk) }
        if !template.cmdline.isEmpty { c.pointee.b_info.cmdline = strdup(template.cmdline) }

        if !disks.isEmpty {
            let array = try allocate(libxl_device_disk.self, count: disks.count, domain: name)
            c.pointee.disks = array
            c.pointee.num_disks = Int32(disks.count)
            for (index, disk) in disks.enumerated() {
                libxl_device_disk_init(array + index)
                array[index].pdev_path = strdup(disk.path)
                array[index].vdev = strdup(disk.target)
                array[index].format = LIBXL_DISK_FORMAT_RAW
                array[index].backend = LIBXL_DISK_BACKEND_UNKNOWN
                array[index].readwrite = disk.writable ? 1 : 0
            }
        }
        if let netvm = spec.netvm {
            let nic = try allocate(libxl_device_nic.self, count: 1, domain: name)
            c.pointee.nics = nic
            c.pointee.num_nics = 1
            libxl_device_nic_init(nic)
            nic.pointee.backend_domname = strdup(netvm)
        }
        c.pointee.on_crash = LIBXL_ACTION_ON_SHUTDOWN_PRESERVE
        return config
    }

    /// Zeroed memory for `count` libxl device structs, freed by `libxl_domain_config_dispose`.
    private static func allocate<T>(_ type: T.Type, count: Int, domain: String) throws(HostError)
        -> UnsafeMutablePointer<T>
    {
        guard let raw = calloc(count, MemoryLayout<T>.stride) else {
            throw HostError(.operationFailed, domain: domain, "out of memory building the domain config")
        }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Bits 0..<count set (libxl_bitmap_alloc needs a ctx; the map is plain calloc'd bytes libxl frees).
    private static func setOnline(_ count: Int, in bitmap: inout libxl_bitmap, domain: String) throws(HostError) {
        let bytes = (count + 7) / 8
        guard let map = calloc(bytes, 1) else {
            throw HostError(.operationFailed, domain: domain, "out of memory building the domain config")
        }
        bitmap.map = map.bindMemory(to: UInt8.self, capacity: bytes)
        bitmap.size = UInt32(bytes)
        for bit in 0..<count { libxl_bitmap_set(&bitmap, Int32(bit)) }
    }
}
