import DispoConfig
import DispoHost

extension HostConformance {
    /// Create, power states, memory target, shutdown, destroy.
    static let lifecycleChecks: [Check] = [
        Check("create-returns-paused-never-run") { run in
            let host = run.host
            let name = run.name("create")
            let record = run.record()
            let made = try await host.create(run.request(name, metadata: record))
            try run.expect(made.name == name, "create returned a domain named \(made.name)")
            try run.expect(made.power == .paused, "create returned a \(made.power) domain, not a paused one")
            try run.expect(made.metadata == record, "create returned metadata \(made.metadata), not \(record)")
            try run.expect(made.domid >= 0 && made.maxmem >= made.memory, "create returned \(made)")
            let read = try await run.domain(name)
            try run.expect(
                read.uuid == made.uuid && read.domid == made.domid && read.power == .paused && read.metadata == record,
                "domain(named:) shows \(read), create returned \(made)")
            let listed = try await host.snapshot().domain(named: name)
            try run.expect(
                listed?.metadata == record && listed?.power == .paused,
                "the snapshot shows \(String(describing: listed))")
            // A guest that never ran cannot have reported its memory use (Xen: its meminfo node is still empty).
            try run.expect(
                made.reportedUse == nil && read.reportedUse == nil && listed?.reportedUse == nil,
                "a never-run guest shows a reported use: create \(String(describing: made.reportedUse)), "
                    + "domain(named:) \(String(describing: read.reportedUse)), "
                    + "snapshot \(String(describing: listed?.reportedUse))")
            try await run.refused(.invalidState, "waitReady of a domain that never ran") {
                try await host.waitReady(name, readiness: run.spec.ready, timeout: .seconds(5))
            }
        },
        Check("create-without-memory-leaves-nothing") { run in
            let host = run.host
            let name = run.name("huge")
            var spec = run.spec
            let total = try await host.snapshot().totalMemory
            spec.memory = Size(kibibytes: total.kibibytes + Size.mebibytes(1024).kibibytes)
            spec.maxmem = spec.memory
            try await run.refused(.insufficientMemory, "create of a domain larger than the host") {
                _ = try await host.create(CreateRequest(name: name, spec: spec, metadata: run.record()))
            }
            try run.expect(try await host.domain(named: name) == nil, "the refused create left a domain or record")
        },
        Check("pause-unpause-power-states") { run in
            let host = run.host
            let (name, _) = try await run.create("power")
            try await run.refused(.invalidState, "pause of a paused domain") { try await host.pause(name) }
            try await run.refused(.invalidState, "shutdown of a paused domain") { try await host.shutdown(name) }
            try await host.unpause(name)
            try run.expect(try await run.power(of: name) == .running, "not running after unpause")
            try await run.refused(.invalidState, "unpause of a running domain") { try await host.unpause(name) }
            try await host.pause(name)
            try run.expect(try await run.power(of: name) == .paused, "not paused after pause")
            try await host.unpause(name)
            try run.expect(try await run.power(of: name) == .running, "not running after the second unpause")
        },
        Check("memory-target-above-maxmem-refused") { run in
            let host = run.host
            let (name, made) = try await run.create("balloon")
            let above = Size(kibibytes: made.maxmem.kibibytes + 1024)
            try await run.refused(.invalidState, "memory target \(above) above maxmem \(made.maxmem)") {
                try await host.setMemoryTarget(name, above)
            }
            try await host.setMemoryTarget(name, made.memory)
            try run.expect(try await run.power(of: name) == .paused, "a memory target changed the power state")
        },
        Check("shutdown-halts-and-stays-halted") { run in
            let host = run.host
            let name = try await run.boot("shutdown")
            try await host.shutdown(name)
            try await run.eventually("the power state after shutdown", { try await run.power(of: name) }) {
                $0 == .halted
            }
            let listed = try await host.snapshot().domain(named: name)?.power
            try run.expect(listed == .halted, "domain(named:) says halted, the snapshot \(String(describing: listed))")
            try await host.shutdown(name)  // halted stays halted: a no-op
            try run.expect(try await run.power(of: name) == .halted, "a second shutdown changed a halted domain")
            try await run.refused(.invalidState, "unpause of a halted domain") { try await host.unpause(name) }
            try await run.refused(.invalidState, "pause of a halted domain") { try await host.pause(name) }
            try await run.refused(.invalidState, "memory target of a halted domain") {
                try await host.setMemoryTarget(name, run.spec.memory)
            }
            try await host.destroy(name)
            try run.expect(try await host.domain(named: name) == nil, "a destroyed halted domain is still there")
        },
        Check("destroy-removes-domain-and-record") { run in
            let host = run.host
            let (name, _) = try await run.create("destroy")
            try await host.updateMetadata(name, ["conformance-leftover": "1"])
            try await host.unpause(name)
            try await host.destroy(name)
            try run.expect(try await host.domain(named: name) == nil, "domain(named:) still shows it")
            try run.expect(
                try await host.snapshot().domain(named: name) == nil, "the snapshot still lists it (or its record)")
            try await run.refused(.notFound, "a second destroy") { try await host.destroy(name) }
            let record = run.record([MetadataKey.stage: Stage.creating.rawValue])
            let again = try await host.create(run.request(name, metadata: record))
            try run.expect(again.metadata == record, "the name made again carries \(again.metadata)")
            try run.expect(
                try await run.domain(name).metadata == record, "the old record survived destroy: it shows again")
            try await host.destroy(name)
        },
    ]
}
