import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Testing

/// The shrink of preloads through the reconciler: recorded in the metadata, reported in events and status; and the
/// threshold's admission, with the figures that say why the rest waits.
struct PreloadMemoryTests {
    static let threshold = baseYAML + "---\napiVersion: dispo/v1\nkind: System\npreload: { threshold: 1000MiB }\n"

    @Test func preloadsArePausedAtTheirPreferredMemoryAndTheMeasurementIsKept() async throws {
        let world = SimWorld()  // guests grow to 600 MiB after boot and report using 250 MiB: preferred 325 MiB
        let desired = desiredState(baseYAML)
        let reconciler = world.reconciler()
        #expect(try await reconciler.converge(desired).converged)
        let snapshot = try await world.snapshot()
        let preloads = snapshot.domains.filter { $0.metadata[MetadataKey.role] == "preload" }
        #expect(preloads.count == 3)
        #expect(preloads.allSatisfy { $0.memory == .mebibytes(325) && $0.power == .paused })
        let records = preloads.compactMap { $0.metadata[MetadataKey.shrink].flatMap(ShrinkRecord.init(metadataValue:)) }
        #expect(records.count == 3)
        #expect(records.allSatisfy {
            $0.result == .reached && $0.before == .mebibytes(600) && $0.after == .mebibytes(325)
                && $0.target == .mebibytes(325) && $0.reportedUse == .mebibytes(250) && $0.seconds == 0.3
        })

        let shrunk = world.log.all.compactMap { event -> (String, ShrinkRecord)? in
            if case .shrunk(let action, let name, let record) = event, action.op == .create { return (name, record) }
            return nil
        }
        #expect(Set(shrunk.map(\.0)) == Set(preloads.map(\.name)))
        let notes = world.log.all.compactMap { event -> String? in
            if case .finished(let action, _, _, let note) = event, action.op == .create { return note }
            return nil
        }
        #expect(notes.allSatisfy { $0 == "memory 600MiB -> 325MiB in 0.3s, target 325MiB, guest uses 250MiB" }, "\(notes)")

        let report = StatusReport.make(
            desired: desired, configErrors: [], revisions: await reconciler.revisions(desired), snapshot: snapshot,
            backend: "sim", location: "memory")
        let preload = try #require(report.templates.first?.preload)
        #expect(preload.preloads?.map(\.name) == preload.queue)
        #expect(preload.preloads?.allSatisfy { $0.memoryKiB == 332_800 && $0.shrink?.result == .reached } == true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(json.contains(
            #"{"memory_kib":332800,"name":"\#(preload.queue[0])","shrink":{"after_kib":332800,"before_kib":614400,"#
                + #""reported_use_kib":256000,"result":"reached","seconds":0.3,"target_kib":332800}}"#), "\(json)")
    }

    @Test func guestsThatDoNotReportArePausedAsTheyAre() async throws {
        let world = SimWorld()
        _ = try await world.store.modify { state in state.guestUsedMiB = nil }
        #expect(try await world.reconciler().converge(desiredState(baseYAML)).converged)
        let preloads = try await world.snapshot().domains
        #expect(preloads.count == 3)
        #expect(preloads.allSatisfy { $0.memory == .mebibytes(600) })
        #expect(preloads.allSatisfy {
            $0.metadata[MetadataKey.shrink] == "result=not-reported before_kib=614400 after_kib=614400 seconds=0.0"
        })
    }

    @Test func aSlowBalloonIsGivenUpAndThePreloadIsStillQueued() async throws {
        let world = SimWorld()
        _ = try await world.store.modify { state in state.balloonMiBPerSecond = 20 }
        let desired = desiredState(baseYAML.replacingOccurrences(of: "max: 3", with: "max: 1"))
        #expect(try await world.reconciler().converge(desired).converged)
        let preload = try #require(try await world.snapshot().domains.first)
        #expect(preload.power == .paused && preload.metadata[MetadataKey.stage] == "paused")
        let record = try #require(preload.metadata[MetadataKey.shrink].flatMap(ShrinkRecord.init(metadataValue:)))
        #expect(record.result == .gaveUp && record.seconds == 3.0)
        #expect(abs(Double(record.afterKiB) / 1024 - 540) < 0.1, "600 MiB less 3 s at 20 MiB/s")
        #expect(preload.memory == record.after, "paused where the shrink left it")
    }

    @Test func theThresholdHoldsPreloadsBackWithTheFiguresOfWhy() async throws {
        let world = SimWorld(memory: .mebibytes(1024 + 1900))  // 1900 MiB free, 900 above the threshold
        let desired = desiredState(Self.threshold)
        let first = try await world.plan(desired)
        #expect(first.actions.count == 2)
        let wait = try #require(first.waits.first)
        #expect(wait.kind == .memory(count: 1))
        #expect(wait.memory == Wait.Memory(free: .mebibytes(1900), threshold: .mebibytes(1000), each: .mebibytes(400)))
        #expect(wait.detail
            == "1 preload(s) wait for memory: 1900MiB free less the threshold 1000MiB leaves 900MiB; each needs 400MiB")

        let outcome = try await world.reconciler().converge(desired)
        #expect(outcome.converged, "a gap only memory causes is not an error")
        // Each preload is shrunk to 325 MiB: 1900 - 325 = 1575 -> 1 more fits; 1250 -> 250 above: none.
        #expect(try await world.snapshot().domains.count == 2)
        let diff = DiffReport(outcome.plan)
        #expect(diff.inSync)
        let entry = try #require(diff.waiting.first)
        #expect(entry.reason == "memory")
        #expect(entry.detail
            == "1 preload(s) wait for memory: 1250MiB free less the threshold 1000MiB leaves 250MiB; each needs 400MiB")
        #expect(entry.memory?.waiting == 1 && entry.memory?.freeMib == 1250 && entry.memory?.thresholdMib == 1000)
        #expect(entry.memory?.availableMib == 250 && entry.memory?.eachMib == 400)
        let json = String(decoding: try JSONEncoder().encode(diff), as: UTF8.self)
        #expect(json.contains(#""memory":{"#) && json.contains(#""available_mib":250"#), "\(json)")
    }

    @Test func withoutAThresholdTheWaitSaysOnlyWhatIsFree() async throws {
        let world = SimWorld(memory: .mebibytes(1024 + 700))
        let plan = try await world.plan(desiredState(baseYAML))
        #expect(plan.actions.count == 1)
        #expect(plan.waits.map(\.detail) == ["2 preload(s) wait for memory: 700MiB free; each needs 400MiB"])
    }
}

/// The metadata value and the human summary of a shrink.
struct ShrinkRecordTests {
    @Test func theMetadataValueRoundTrips() {
        let records = [
            ShrinkRecord(
                result: .reached, before: .mebibytes(600), after: .mebibytes(325), target: .mebibytes(325),
                reportedUse: .mebibytes(250), seconds: 0.3),
            ShrinkRecord(result: .notReported, before: .mebibytes(600), after: .mebibytes(600), seconds: 0),
            ShrinkRecord(
                result: .gaveUp, before: .mebibytes(600), after: Size(kibibytes: 460_804), target: .mebibytes(325),
                reportedUse: .mebibytes(250), seconds: 3.0014),
        ]
        for record in records {
            #expect(ShrinkRecord(metadataValue: record.metadataValue) == record, "\(record.metadataValue)")
        }
        #expect(records[2].seconds == 3.001)
        #expect(records[0].metadataValue
            == "result=reached before_kib=614400 after_kib=332800 target_kib=332800 reported_use_kib=256000 seconds=0.3")
    }

    @Test(arguments: [
        "", "result=reached", "result=bogus before_kib=1 after_kib=1 seconds=0", "result=reached before_kib=x after_kib=1 seconds=0",
        "result=reached before_kib=1 after_kib=1 seconds=-1", "result=reached before_kib=1 after_kib=1 seconds=nan",
        "result=reached before_kib=1 after_kib=1 seconds=0 target_kib=lots", "garbage",
    ])
    func aMalformedValueIsNoRecord(text: String) {
        #expect(ShrinkRecord(metadataValue: text) == nil)
    }

    @Test func theSummarySaysWhatHappened() {
        #expect(ShrinkRecord(
            result: .gaveUp, before: .mebibytes(600), after: Size(kibibytes: 460_804), target: .mebibytes(325),
            reportedUse: .mebibytes(250), seconds: 3.001).summary
            == "memory shrink gave up: 600MiB -> 450.0MiB in 3.001s, target 325MiB, guest uses 250MiB")
        #expect(ShrinkRecord(
            result: .nothingToRelease, before: .mebibytes(600), after: .mebibytes(600), target: .mebibytes(600),
            reportedUse: .mebibytes(600), seconds: 0).summary
            == "memory 600MiB kept: nothing to release, target 600MiB, guest uses 600MiB")
        #expect(ShrinkRecord(result: .notReported, before: .mebibytes(600), after: .mebibytes(600), seconds: 0).summary
            == "memory 600MiB kept: the guest has not reported its use, so no ballooning")
    }
}
