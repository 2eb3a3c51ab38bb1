@testable import DispoCommands
import ArgumentParser
import SnapshotTesting
import Testing

/// The CLI surface is kept in snapshot files so it cannot drift by accident.
/// Re-record after an intended change with `SNAPSHOT_TESTING_RECORD=all swift test --filter HelpSnapshotTests`.
struct HelpSnapshotTests {
    @Test func rootHelp() {
        assertSnapshot(of: Dispo.helpMessage(columns: 100), as: .lines)
    }

    @Test(arguments: ["validate", "diff", "apply", "watch", "request", "release", "status", "sleep", "sim"])
    func subcommandHelp(name: String) throws {
        let command = try #require(Dispo.configuration.subcommands.first { $0._commandName == name })
        assertSnapshot(of: Dispo.helpMessage(for: command, columns: 100), as: .lines, named: name)
    }

    @Test func sleepPreAndPostHelp() {
        assertSnapshot(of: Dispo.helpMessage(for: SleepPre.self, columns: 100), as: .lines, named: "pre")
        assertSnapshot(of: Dispo.helpMessage(for: SleepPost.self, columns: 100), as: .lines, named: "post")
    }
}
