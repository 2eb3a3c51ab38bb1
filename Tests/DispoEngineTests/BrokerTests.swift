import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Synchronization
import Testing

/// The broker against the simulated host in virtual time.
struct BrokerTests {
    static let config = baseYAML.replacingOccurrences(of: "max: 3", with: "max: 4")
        + "---\napiVersion: dispo/v1\nkind: System\ndefault_dispvm: default-dvm\n"

    /// A world with a full queue of 4 preloads.
    static func filled(memory: Size = .mebibytes(16 * 1024)) async throws -> (SimWorld, DesiredState) {
        let world = SimWorld(memory: memory)
        let desired = desiredState(config)
        _ = try await world.reconciler().converge(desired)
        return (world, desired)
    }

    static func queue(_ world: SimWorld) async throws -> [String] {
        try await world.snapshot().domains.filter { $0.metadata[MetadataKey.role] == "preload" }
            .sorted { (Double($0.metadata["created"] ?? "") ?? 0, $0.domid) < (Double($1.metadata["created"] ?? "") ?? 0, $1.domid) }
            .map(\.name)
    }

    @Test func handsOutOldestFirstAndMarksItUsed() async throws {
        let (world, desired) = try await Self.filled()
        let queue = try await Self.queue(world)
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 9))
        let first = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        let second = try await broker.request(.template("default-dvm"), source: nil, desired: desired)
        #expect([first.name, second.name] == Array(queue.prefix(2)))
        #expect(first.preloaded && second.preloaded)
        let domain = try #require(try await world.snapshot().domain(named: first.name))
        #expect(domain.power == .running)
        #expect(domain.metadata[MetadataKey.role] == "unnamed")
        #expect(domain.metadata[MetadataKey.stage] == "used")
        #expect(try await world.snapshot().metadata[HostMetadataKey.lastUsePrefix + "default-dvm"] != nil)
    }

    @Test func outdatedPreloadsAreSkippedAndDiscarded() async throws {
        let (world, filledDesired) = try await Self.filled()
        var desired = filledDesired
        let old = try await Self.queue(world)
        desired.templates["debian-12"]?.revision = .fixed("2")
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 9))
        let handout = try await broker.request(.template("default-dvm"), source: nil, desired: desired)
        #expect(!handout.preloaded, "no up-to-date preload: a cold one")
        #expect(!old.contains(handout.name))
        let left = try await world.snapshot().domains.map(\.name)
        #expect(Set(left).isDisjoint(with: old), "outdated preloads were discarded")
    }

    @Test func anEmptyQueueMeansAColdDisposableNotAnError() async throws {
        let world = SimWorld()
        let desired = desiredState(Self.config)
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 9))
        let start = world.clock.now()
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(!handout.preloaded)
        #expect(world.clock.now() - start >= 2, "waited for the boot")
        #expect(try await world.snapshot().domain(named: handout.name)?.power == .running)
    }

    @Test func fiftyConcurrentRequestsWithMaxFour() async throws {
        let (world, desired) = try await Self.filled(memory: .mebibytes(64 * 1024))
        let queue = Set(try await Self.queue(world))
        let broker = Broker(host: world.host, clock: world.clock, random: SystemRandomSource())
        let handouts = try await withThrowingTaskGroup(of: Handout.self) { group in
            for _ in 0..<50 { group.addTask { try await broker.request(.defaultDispVM, source: nil, desired: desired) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(handouts.count == 50)
        #expect(Set(handouts.map(\.name)).count == 50, "none twice")
        #expect(Set(handouts.filter(\.preloaded).map(\.name)) == queue, "the 4 preloaded ones")
        #expect(handouts.count { !$0.preloaded } == 46)
    }

    @Test func twoProcessesNeverClaimTheSameDisposable() async throws {
        let (world, desired) = try await Self.filled()
        let other = SimHost(store: world.store, clock: world.clock)
        let brokers = [
            Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 1)),
            Broker(host: other, clock: world.clock, random: SeededRandomSource(seed: 2)),
        ]
        let handouts = try await withThrowingTaskGroup(of: Handout.self) { group in
            for index in 0..<8 {
                let broker = brokers[index % 2]
                group.addTask { try await broker.request(.defaultDispVM, source: nil, desired: desired) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(handouts.map(\.name)).count == 8)
        #expect(handouts.count(where: \.preloaded) == 4)
    }

    @Test func dispidExhaustionIsAClearError() async throws {
        let world = SimWorld()
        let desired = desiredState(Self.config)
        _ = try await Broker(host: world.host, clock: world.clock, random: Constant(5)).request(
            .defaultDispVM, source: nil, desired: desired)
        do {
            _ = try await Broker(host: world.host, clock: world.clock, random: Constant(5)).request(
                .defaultDispVM, source: nil, desired: desired)
            Issue.record("expected exhaustion")
        } catch {
            #expect(error.message.contains("no free dispid after 100 draws"))
        }
    }

    @Test func releasedDispidsAreNotReusedForSevenDaysAcrossRestarts() async throws {
        let world = SimWorld()
        let desired = desiredState(Self.config)
        let first = try await Broker(host: world.host, clock: world.clock, random: Sequence([42])).request(
            .defaultDispVM, source: nil, desired: desired)
        #expect(first.name == "disp42")
        try await Broker(host: world.host, clock: world.clock).release("disp42")
        // A new process (new broker, same host metadata) draws 42 first, then 43.
        let second = try await Broker(host: world.host, clock: world.clock, random: Sequence([42, 43])).request(
            .defaultDispVM, source: nil, desired: desired)
        #expect(second.name == "disp43")
        world.clock.advance(by: 7 * 24 * 3600 + 1)
        let later = try await Broker(host: world.host, clock: world.clock, random: Sequence([42])).request(
            .defaultDispVM, source: nil, desired: desired)
        #expect(later.name == "disp42", "after 7 days the dispid may come back")
    }

    @Test func releaseRules() async throws {
        let (world, desired) = try await Self.filled()
        let broker = Broker(host: world.host, clock: world.clock)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        try await broker.release(handout.name)
        #expect(try await world.snapshot().domain(named: handout.name) == nil)
        let preload = try #require(try await Self.queue(world).first)
        _ = try await world.admin.addForeign(name: "work", memory: .mebibytes(100))
        for (name, code, text) in [
            (preload, RequestError.Code.notReleasable, "waiting in the queue"),
            ("work", .notReleasable, "not made by dispo"), ("disp77777", .notFound, "no domain named"),
        ] {
            do {
                try await broker.release(name)
                Issue.record("\(name) was released")
            } catch {
                #expect(error.code == code)
                #expect(error.message.contains(text), "\(error.message)")
            }
        }
    }

    @Test(arguments: [
        ("@dispvm", nil, "default-dvm"), ("@dispvm:work", nil, "work"), ("work", nil, "work"),
        ("@dispvm:@tag:anon", nil, "work"), ("@dispvm", "sys-net", "work"),
    ] as [(String, String?, String)])
    func targetsResolveLikeQubesPolicy(target: String, source: String?, expected: String) throws {
        let desired = desiredState(Self.config + """
            ---
            apiVersion: dispo/v1
            kind: DisposableTemplate
            name: work
            template: debian-12
            tags: [anon, x]
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-net
            template: work

            """)
        let snapshot = HostSnapshot(domains: [], freeMemory: .mebibytes(1), totalMemory: .mebibytes(1))
        #expect(try RequestTarget.parse(target).resolve(in: desired, source: source, snapshot: snapshot) == expected)
    }

    @Test func ambiguousTagListsTheCandidates() throws {
        let desired = desiredState(Self.config.replacingOccurrences(of: "preload: { max: 4 }", with: "preload: { max: 4 }\ntags: [t]")
            + "---\napiVersion: dispo/v1\nkind: DisposableTemplate\nname: b-dvm\ntemplate: debian-12\ntags: [t]\n")
        let snapshot = HostSnapshot(domains: [], freeMemory: .mebibytes(1), totalMemory: .mebibytes(1))
        #expect(throws: RequestError.self) {
            try RequestTarget.parse("@dispvm:@tag:t").resolve(in: desired, source: nil, snapshot: snapshot)
        }
        do {
            _ = try RequestTarget.parse("@dispvm:@tag:t").resolve(in: desired, source: nil, snapshot: snapshot)
        } catch {
            #expect(error.message == "2 disposable templates have the tag t: b-dvm, default-dvm; name one")
        }
    }
}

/// Always the same dispid.
struct Constant: RandomSource {
    let value: Int
    init(_ value: Int) { self.value = value }
    func next(below upperBound: Int) -> Int { value % upperBound }
}

/// Dispids in a given order, then the last one forever.
final class Sequence: RandomSource {
    private let values: Mutex<[Int]>
    init(_ values: [Int]) { self.values = Mutex(values) }
    func next(below upperBound: Int) -> Int {
        values.withLock { values in values.count > 1 ? values.removeFirst() : (values.first ?? 0) } % upperBound
    }
}
