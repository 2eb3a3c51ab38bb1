import DispoConfig
import DispoHost

extension HostConformance {
    /// Names that are taken, missing, or not dispo's.
    static let refusalChecks: [Check] = [
        Check("create-of-a-taken-name-already-exists") { run in
            let host = run.host
            let (name, made) = try await run.create("taken")
            let other = run.request(name, metadata: run.record([MetadataKey.stage: Stage.creating.rawValue]))
            try await run.refused(.alreadyExists, "a second create of \(name)") { _ = try await host.create(other) }
            let after = try await run.domain(name)
            try run.expect(
                after.domid == made.domid && after.metadata == made.metadata,
                "the refused create changed the first domain: \(after)")
            if let foreign = run.conformance.foreignDomain {
                let before = try await run.domain(foreign)
                try await run.refused(.alreadyExists, "create with the name of \(foreign), which dispo did not make") {
                    _ = try await host.create(run.request(foreign))
                }
                try await expectUntouched(foreign, was: before, run)
            }
        },
        Check("missing-domain-not-found") { run in
            let host = run.host
            let name = run.name("missing")
            try run.expect(try await host.domain(named: name) == nil, "domain(named:) of a missing name is not nil")
            try run.expect(try await host.snapshot().domain(named: name) == nil, "the snapshot lists a missing name")
            for (what, operation) in mutations(of: name, run) {
                try await run.refused(.notFound, "\(what) of a missing domain", operation)
            }
            try await run.refused(.notFound, "waitReady of a missing domain") {
                try await host.waitReady(name, readiness: run.spec.ready, timeout: .seconds(5))
            }
        },
        Check("foreign-domain-not-owned") { run in
            let foreign = try run.foreignDomain()
            let before = try await run.domain(foreign)
            try run.expect(!before.isOwned, "\(foreign) shows owner=dispo: \(before.metadata)")
            for (what, operation) in mutations(of: foreign, run) {
                try await run.refused(.notOwned, "\(what) of \(foreign), which dispo did not make", operation)
            }
            try await expectUntouched(foreign, was: before, run)
        },
    ]

    /// Every operation that changes a domain, on `name`, each as it would be asked of one of dispo's.
    static func mutations(of name: String, _ run: ConformanceRun) -> [(String, @Sendable () async throws -> Void)] {
        let host = run.host
        let memory = run.spec.memory
        let claim = [MetadataKey.stage: Stage.requested.rawValue]
        let handOut = HandOutRequest(
            name: name, expected: [:], claim: claim, used: [MetadataKey.stage: Stage.used.rawValue])
        return [
            ("unpause", { try await host.unpause(name) }),
            ("pause", { try await host.pause(name) }),
            ("setMemoryTarget", { try await host.setMemoryTarget(name, memory) }),
            ("shutdown", { try await host.shutdown(name) }),
            ("destroy", { try await host.destroy(name) }),
            ("updateMetadata", { try await host.updateMetadata(name, [MetadataKey.owner: MetadataKey.ownerValue]) }),
            ("conditional updateMetadata", { _ = try await host.updateMetadata(name, claim, ifMatching: [:]) }),
            ("handOut", { _ = try await host.handOut(handOut) }),
        ]
    }

    /// The domain `name` is as it was: same domain, power and metadata.
    static func expectUntouched(_ name: String, was before: Domain, _ run: ConformanceRun) async throws {
        let after = try await run.domain(name)
        try run.expect(
            after.uuid == before.uuid && after.domid == before.domid && after.power == before.power
                && after.metadata == before.metadata,
            "\(name) changed: was \(before), now \(after)")
    }
}
