import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import Testing

/// A desired state (from YAML) and a hand-made host snapshot, for table-driven planner tests.
struct World {
    var desired: DesiredState
    var domains: [Domain] = []
    var free = Size.mebibytes(16 * 1024)
    var hostMetadata: [String: String] = [:]
    var now = 10_000.0
    var nextDomid = 1

    init(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = ConfigLoader(strictModes: false).load(sources: [("w.yaml", Array(yaml.utf8))])
        #expect(result.isValid, "\(result.diagnostics.map(\.description))", sourceLocation: sourceLocation)
        desired = result.state
    }

    var revisions: Revisions { Revisions.compute(desired) { _ in "" } }

    var snapshot: HostSnapshot {
        HostSnapshot(domains: domains, freeMemory: free, totalMemory: .mebibytes(32 * 1024), metadata: hostMetadata)
    }

    func plan(
        options: PlanOptions = .init(), inFlight: Set<String> = [], creating: [String: Int] = [:],
        backoff: [String: Double] = [:], suspension: HostSuspension? = nil
    ) -> Plan {
        Planner.plan(PlanInput(desired: desired, revisions: revisions, snapshot: snapshot, now: now, inFlight: inFlight,
            creatingPreloads: creating, backoffUntil: backoff, suspension: suspension, options: options))
    }

    /// Adds a dispo-made domain; `revision: nil` means the current spec's revision.
    mutating func add(
        _ name: String, role: Role, template: String, stage: Stage, power: PowerState, created: Double = 0,
        revision: String? = nil, memory: Size = .mebibytes(400)
    ) {
        let current = role == .named ? revisions.namedDisposables[name] : revisions.disposableTemplates[template]
        var metadata = [
            MetadataKey.owner: "dispo", MetadataKey.role: role.rawValue, MetadataKey.template: template,
            MetadataKey.stage: stage.rawValue, MetadataKey.revision: revision ?? current ?? "",
            MetadataKey.created: String(created),
        ]
        if let id = DispidAllocator.dispid(inName: name) { metadata[MetadataKey.dispid] = String(id) }
        domains.append(Domain(name: name, uuid: "u-\(name)", domid: nextDomid, power: power, memory: memory,
            maxmem: .mebibytes(4000), metadata: metadata))
        nextDomid += 1
    }

    /// A complete preload in the queue.
    mutating func preload(_ name: String, of template: String, created: Double, revision: String? = nil) {
        add(name, role: .preload, template: template, stage: .paused, power: .paused, created: created, revision: revision)
    }

    mutating func foreign(_ name: String, metadata: [String: String] = [:]) {
        domains.append(Domain(name: name, uuid: "u-\(name)", domid: nextDomid, power: .running,
            memory: .mebibytes(1000), maxmem: .mebibytes(1000), metadata: metadata))
        nextDomid += 1
    }
}

/// Short forms of actions for comparisons: "create preload default-dvm (new) refill".
func summary(_ plan: Plan) -> [String] {
    plan.actions.map {
        "\($0.op.rawValue) \($0.role.rawValue) \($0.template) \($0.name ?? "(new)") \($0.reason.rawValue)"
            + ($0.pending ? " pending" : "")
    }
}

let baseYAML = """
    apiVersion: dispo/v1
    kind: Template
    name: debian-12
    kernel: /boot/vmlinuz
    revision: "1"
    ---
    apiVersion: dispo/v1
    kind: DisposableTemplate
    name: default-dvm
    template: debian-12
    preload: { max: 3 }

    """
