import DispoConfig
import DispoHost
import Synchronization

/// One check's host and what it made, with the assertions the checks share (each throws a
/// ``ConformanceFailure`` naming what was expected and what was seen).
final class ConformanceRun: Sendable {
    let host: any Host
    let conformance: HostConformance
    let check: String
    private let made = Mutex<(names: [String], hostKeys: [String])>(([], []))

    init(host: any Host, conformance: HostConformance, check: String) {
        self.host = host
        self.conformance = conformance
        self.check = check
    }

    var spec: EffectiveSpec { conformance.spec }

    // MARK: - What the check makes

    /// A domain name for `tag`, removed after the check.
    func name(_ tag: String) -> String {
        let name = conformance.namePrefix + tag
        made.withLock { $0.names.append(name) }
        return name
    }

    /// A host-wide key for `tag`, removed after the check.
    func hostKey(_ tag: String) -> String {
        let key = conformance.namePrefix + "conformance." + tag
        made.withLock { $0.hostKeys.append(key) }
        return key
    }

    /// A record dispo would write for a paused preload (of a template no config declares), plus `extra`.
    func record(_ extra: [String: String] = [:]) -> [String: String] {
        [
            MetadataKey.owner: MetadataKey.ownerValue, MetadataKey.role: Role.preload.rawValue,
            MetadataKey.template: conformance.namePrefix + "conformance", MetadataKey.stage: Stage.paused.rawValue,
            MetadataKey.created: "1800000000",
        ].merging(extra) { _, new in new }
    }

    func request(_ name: String, metadata: [String: String]? = nil) -> CreateRequest {
        CreateRequest(name: name, spec: spec, metadata: metadata ?? record())
    }

    /// Creates the domain `tag` (paused, with ``record(_:)``); returns its name and what create returned.
    func create(_ tag: String, extra: [String: String] = [:]) async throws -> (String, Domain) {
        let name = name(tag)
        return (name, try await host.create(request(name, metadata: record(extra))))
    }

    /// Creates, unpauses and waits until ready.
    func boot(_ tag: String) async throws -> String {
        let (name, _) = try await create(tag)
        try await host.unpause(name)
        try await host.waitReady(name, readiness: spec.ready, timeout: conformance.bootTimeout)
        return name
    }

    /// Destroys every domain the check named and removes its host-wide keys; returns what could not be removed.
    func cleanUp() async -> [String] {
        let (names, keys) = made.withLock { $0 }
        var leftovers: [String] = []
        for name in names {
            do {
                try await host.destroy(name)
            } catch  where error.code == .notFound {
            } catch {
                leftovers.append("\(name) (destroy: \(error))")
                continue
            }
            if let left = try? await host.domain(named: name) { leftovers.append("\(name) (still \(left.power))") }
        }
        if !keys.isEmpty {
            do {
                try await host.updateHostMetadata(Dictionary(uniqueKeysWithValues: keys.map { ($0, nil) }))
            } catch {
                leftovers.append("host keys \(keys) (\(error))")
            }
        }
        return leftovers
    }

    // MARK: - Assertions

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }

    /// The domain `name` as ``Host/domain(named:)`` shows it; fails when there is none.
    func domain(_ name: String) async throws -> Domain {
        guard let domain = try await host.domain(named: name) else {
            throw ConformanceFailure("domain(named: \(name)) is nil")
        }
        return domain
    }

    func power(of name: String) async throws -> PowerState { try await domain(name).power }

    /// `operation` must throw a ``HostError`` with `code`.
    func refused(_ code: HostError.Code, _ what: String, _ operation: () async throws -> Void) async throws {
        do {
            try await operation()
        } catch let error as HostError {
            try expect(error.code == code, "\(what): threw \(error.code) (\(error)), not \(code)")
            return
        }
        throw ConformanceFailure("\(what): succeeded, but must throw \(code)")
    }

    /// Reads `probe` until `condition` holds, for at most the patience; fails naming the last value read.
    func eventually<Value: Sendable>(
        _ what: String, _ probe: () async throws -> Value, until condition: (Value) -> Bool
    ) async throws {
        var last: Value?
        let seconds = Double(conformance.patience.components.seconds)
            + Double(conformance.patience.components.attoseconds) / 1e18
        let held = try await DispoTestKit.eventually(seconds: seconds) {
            let value = try await probe()
            last = value
            return condition(value)
        }
        guard held else {
            throw ConformanceFailure("\(what): still \(last.map { "\($0)" } ?? "unread") after \(conformance.patience)")
        }
    }

    /// The foreign domain's name, or a skip.
    func foreignDomain() throws -> String {
        guard let name = conformance.foreignDomain else {
            throw ConformanceSkip(reason: "no domain dispo did not make on this host")
        }
        return name
    }
}
