import DispoConfig
import DispoHost
import DispoXen
import Testing

/// The EffectiveSpec -> libxl_domain_config mapping, rendered with libxl's own JSON generator (no libxl ctx).
struct DomainConfigMappingTests {
    static let uuid = "12345678-9abc-4def-8123-456789abcdef"
    static let directory = "/var/lib/dispo/disks/disp7"

    static func spec(
        _ template: Template, memory: UInt64 = 400, maxmem: UInt64 = 4000, vcpus: Int = 2, netvm: String? = nil
    ) -> EffectiveSpec {
        EffectiveSpec(
            disposableTemplate: "default-dvm", template: template,
            settings: DisposableSettings(
                memory: .mebibytes(memory), maxmem: .mebibytes(maxmem), vcpus: vcpus,
                netvm: netvm.map(NetVM.domain) ?? NetVM.none))
    }

    static func json(_ spec: EffectiveSpec, name: String = "disp7") throws -> String {
        let disks = DiskPlan.disks(of: spec.template, directory: directory)
        let config = try DomainConfigMapping.config(name: name, uuid: uuid, spec: spec, disks: disks)
        return try #require(config.json())
    }

    /// The parts every config has, around the type-specific build info.
    static func expected(type: String, buildInfo: String, rest: String = "") -> String {
        #"{"c_info":{"type":"\#(type)","name":"disp7","uuid":"\#(uuid)"},"b_info":{\#(buildInfo)}\#(rest),"on_crash":"preserve"}"#
    }

    @Test func pvWithKernelRamdiskAndCmdline() throws {
        let template = Template(
            name: "debian-12", type: .pv, kernel: "/boot/vmlinuz", ramdisk: "/boot/initrd.img",
            cmdline: "console=hvc0 root=/dev/xvda ro")
        let buildInfo = #""max_vcpus":2,"avail_vcpus":[0,1],"max_memkb":4096000,"target_memkb":409600,"#
            + #""sched_params":{},"kernel":"/boot/vmlinuz","cmdline":"console=hvc0 root=/dev/xvda ro","#
            + #""ramdisk":"/boot/initrd.img","type.pv":{},"arch_arm":{},"arch_x86":{}"#
        #expect(try Self.json(Self.spec(template)) == Self.expected(type: "pv", buildInfo: buildInfo))
    }

    @Test func pvhWithoutRamdiskOrCmdline() throws {
        let template = Template(name: "minimal", type: .pvh, kernel: "/boot/vmlinux")
        let buildInfo = #""max_vcpus":1,"avail_vcpus":[0],"max_memkb":262144,"target_memkb":131072,"#
            + #""sched_params":{},"kernel":"/boot/vmlinux","type.pvh":{},"arch_arm":{},"arch_x86":{}"#
        let spec = Self.spec(template, memory: 128, maxmem: 256, vcpus: 1)
        #expect(try Self.json(spec) == Self.expected(type: "pvh", buildInfo: buildInfo))
    }

    @Test func memoryAndVcpus() throws {
        let template = Template(name: "t", type: .pvh, kernel: "/k")
        let json = try Self.json(Self.spec(template, memory: 1536, maxmem: 8192, vcpus: 10))
        #expect(json.contains(#""max_vcpus":10,"avail_vcpus":[0,1,2,3,4,5,6,7,8,9],"#))
        #expect(json.contains(#""max_memkb":8388608,"target_memkb":1572864,"#))
    }

    @Test func maxmemNeverBelowMemory() throws {
        var spec = Self.spec(Template(name: "t", type: .pvh, kernel: "/k"), memory: 512, maxmem: 512)
        spec.maxmem = .mebibytes(256)
        #expect(try Self.json(spec).contains(#""max_memkb":524288,"target_memkb":524288,"#))
    }

    @Test func disksInEachMode() throws {
        let template = Template(
            name: "debian-12", type: .pvh, kernel: "/k",
            disks: [
                .init(target: "xvda", source: "/var/lib/dispo/debian-12/root.img", mode: .ro),
                .init(target: "xvdb", source: "/var/lib/dispo/debian-12/private.img", mode: .snapshot),
            ], volatile: .gibibytes(2))
        let disks = #","disks":["#
            + #"{"pdev_path":"/var/lib/dispo/debian-12/root.img","vdev":"xvda","format":"raw"},"#
            + #"{"pdev_path":"/var/lib/dispo/disks/disp7/xvdb.img","vdev":"xvdb","format":"raw","readwrite":1},"#
            + #"{"pdev_path":"/var/lib/dispo/disks/disp7/volatile.img","vdev":"xvdc","format":"raw","readwrite":1}]"#
        let buildInfo = #""max_vcpus":2,"avail_vcpus":[0,1],"max_memkb":4096000,"target_memkb":409600,"#
            + #""sched_params":{},"kernel":"/k","type.pvh":{},"arch_arm":{},"arch_x86":{}"#
        #expect(try Self.json(Self.spec(template)) == Self.expected(type: "pvh", buildInfo: buildInfo, rest: disks))
    }

    @Test func netvmIsTheBackendOfOneInterface() throws {
        let template = Template(name: "t", type: .pv, kernel: "/k")
        let json = try Self.json(Self.spec(template, netvm: "sys-firewall"))
        #expect(json.hasSuffix(#","nics":[{"backend_domname":"sys-firewall"}],"on_crash":"preserve"}"#))
        #expect(try !Self.json(Self.spec(template)).contains("nics"))
    }

    @Test func hvmIsRefused() throws {
        let template = Template(name: "win", type: .hvm, kernel: "/k")
        let error = #expect(throws: HostError.self) { try Self.json(Self.spec(template)) }
        #expect(error?.domain == "disp7")
        #expect(error?.message.contains("hvm") == true)
    }

    @Test func aKernelIsRequired() throws {
        let error = #expect(throws: HostError.self) {
            try Self.json(Self.spec(Template(name: "nokernel", type: .pvh)))
        }
        #expect(error?.message.contains("no kernel") == true)
    }

    @Test func prettyJSONIsTheSameDocument() throws {
        let spec = Self.spec(Template(name: "t", type: .pvh, kernel: "/k"), netvm: "sys-net")
        let config = try DomainConfigMapping.config(name: "disp7", uuid: Self.uuid, spec: spec, disks: [])
        let pretty = try #require(config.json(pretty: true))
        #expect(pretty.contains("\n"))
        #expect(pretty.filter { !$0.isWhitespace } == config.json()?.filter { !$0.isWhitespace })
    }
}

extension Size {
    static func gibibytes(_ value: UInt64) -> Size { .mebibytes(value * 1024) }
}
