import DispoConfig
import DispoHost

extension HostConformance {
    /// Records, claims, hand-outs, host-wide metadata and the narrow read.
    static let metadataChecks: [Check] = [
        Check("metadata-merge-and-removal") { run in
            let host = run.host
            let (name, made) = try await run.create("metadata")
            try await host.updateMetadata(
                name,
                [
                    MetadataKey.stage: Stage.ready.rawValue, "conformance-added": "1", MetadataKey.role: nil,
                    "conformance-absent": nil,
                ])
            var expected = made.metadata
            expected[MetadataKey.stage] = Stage.ready.rawValue
            expected["conformance-added"] = "1"
            expected[MetadataKey.role] = nil
            let read = try await run.domain(name).metadata
            try run.expect(read == expected, "after the merge domain(named:) shows \(read), not \(expected)")
            let listed = try await host.snapshot().domain(named: name)?.metadata
            try run.expect(listed == expected, "after the merge the snapshot shows \(String(describing: listed))")
        },
        Check("conditional-update-is-atomic") { run in
            let host = run.host
            let (name, made) = try await run.create("claim")
            let stale = try await host.updateMetadata(
                name, [MetadataKey.stage: Stage.requested.rawValue], ifMatching: [MetadataKey.stage: "ready"])
            try run.expect(!stale, "a conditional update whose condition does not hold returned true")
            try run.expect(try await run.domain(name).metadata == made.metadata, "a refused conditional update wrote")
            // Claims through the conditional update and through hand-outs at once (on Xen two threads, two
            // xenstore connections): exactly one wins.
            let winners = try await withThrowingTaskGroup(of: Int?.self) { group in
                for claimant in 0..<6 {
                    group.addTask {
                        let claim = [
                            MetadataKey.stage: Stage.requested.rawValue, "conformance-claimant": "\(claimant)",
                        ]
                        let expected = [MetadataKey.stage: Stage.paused.rawValue]
                        if claimant.isMultiple(of: 2) {
                            return try await host.updateMetadata(name, claim, ifMatching: expected) ? claimant : nil
                        }
                        let request = HandOutRequest(
                            name: name, expected: expected, claim: claim,
                            used: [MetadataKey.stage: Stage.used.rawValue])
                        return try await host.handOut(request) == .handedOut ? claimant : nil
                    }
                }
                var winners: [Int] = []
                for try await winner in group { if let winner { winners.append(winner) } }
                return winners
            }
            try run.expect(winners.count == 1, "\(winners.count) of 6 concurrent claims won: \(winners)")
            let holder = try await run.domain(name).metadata["conformance-claimant"]
            try run.expect(
                holder == winners.first.map(String.init),
                "claimant \(winners) won, the record says \(String(describing: holder))")
        },
        Check("hand-out-outcomes") { run in
            let host = run.host
            let (name, made) = try await run.create("handout")
            let key = run.hostKey("handout")
            let claim = [MetadataKey.stage: Stage.requested.rawValue]
            let used = [MetadataKey.stage: Stage.used.rawValue, MetadataKey.role: Role.unnamed.rawValue]
            let paused = [MetadataKey.stage: Stage.paused.rawValue]

            let stale = HandOutRequest(
                name: name, expected: [MetadataKey.stage: "ready"], claim: claim, used: used, hostMetadata: [key: "1"])
            let missed = try await host.handOut(stale)
            try run.expect(missed == .notMatching, "a hand-out whose record does not match: \(missed)")
            try run.expect(try await run.domain(name) == made, "a not-matching hand-out changed the domain")
            try run.expect(
                try await host.snapshot().metadata[key] == nil, "a not-matching hand-out wrote host metadata")

            let current = try await run.domain(name)
            let request = HandOutRequest(
                name: name, domid: current.domid, uuid: current.uuid, expected: paused, claim: claim, used: used,
                hostMetadata: [key: "1"])
            let outcome = try await host.handOut(request)
            try run.expect(outcome == .handedOut, "the hand-out of a paused, matching domain: \(outcome)")
            let handed = try await run.domain(name)
            try run.expect(handed.power == .running, "a handed-out domain is \(handed.power)")
            try run.expect(
                handed.metadata[MetadataKey.stage] == Stage.used.rawValue
                    && handed.metadata[MetadataKey.role] == Role.unnamed.rawValue,
                "a handed-out domain's record is \(handed.metadata), without the used record")
            try run.expect(try await host.snapshot().metadata[key] == "1", "the hand-out did not write host metadata")

            let twice = HandOutRequest(
                name: name, expected: [MetadataKey.stage: Stage.used.rawValue], claim: claim,
                used: [MetadataKey.stage: "conformance-never"])
            let again = try await host.handOut(twice)
            try run.expect(again == .notPaused(.running), "the hand-out of a running domain: \(again)")
            let after = try await run.domain(name)
            try run.expect(after.power == .running, "a not-paused hand-out left the domain \(after.power)")
            try run.expect(
                after.metadata[MetadataKey.stage] == Stage.requested.rawValue,
                "a not-paused hand-out must keep its claim and not write used: the record is \(after.metadata)")
        },
        Check("host-metadata-merge") { run in
            let host = run.host
            let first = run.hostKey("first")
            let second = run.hostKey("second")
            let others = try await host.snapshot().metadata.filter { $0.key != first && $0.key != second }
            try await host.updateHostMetadata([first: "1", second: "2"])
            let written = try await host.snapshot().metadata
            try run.expect(written[first] == "1" && written[second] == "2", "after a merge the host has \(written)")
            try await host.updateHostMetadata([first: nil, second: "3"])
            let merged = try await host.snapshot().metadata
            try run.expect(
                merged[first] == nil && merged[second] == "3", "after a removal and an overwrite the host has \(merged)"
            )
            try run.expect(
                merged.filter { $0.key != first && $0.key != second } == others, "a merge changed other host keys")
        },
        Check("domain-named-agrees-with-snapshot") { run in
            let host = run.host
            _ = try await run.create("agree-a")
            let (second, _) = try await run.create("agree-b")
            try await host.updateMetadata(second, [MetadataKey.stage: Stage.ready.rawValue])
            let snapshot = try await host.snapshot()
            try run.expect(snapshot.domain(named: second) != nil, "the snapshot lacks \(second)")
            for listed in snapshot.domains {
                guard let one = try await host.domain(named: listed.name) else {
                    throw ConformanceFailure("the snapshot lists \(listed.name), domain(named:) says nil")
                }
                var comparable = one
                if one.power == .running { comparable.memory = listed.memory }  // a running guest's memory moves
                try run.expect(comparable == listed, "domain(named:) shows \(one), the snapshot \(listed)")
            }
            try run.expect(
                try await host.domain(named: run.conformance.namePrefix + "absent") == nil,
                "domain(named:) of a name no domain has is not nil")
        },
    ]
}
