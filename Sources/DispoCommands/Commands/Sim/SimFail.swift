import ArgumentParser
import DispoHost
import DispoSim

/// `dispo sim fail`: make the next N runs of an operation fail.
struct SimFail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fail",
        abstract: "Make the next runs of an operation fail.",
        discussion: """
            OPERATION is one of: create, start (a domain's first unpause, which boots
            it), pause, unpause (any later unpause), ready (the guest never signals
            ready, so the readiness check times out). Faults add up and each failing run
            uses one.

            Examples:
              dispo sim fail start --host sim:/tmp/host.json
              dispo sim fail ready --count 3 --host sim:/tmp/host.json
            """)

    @OptionGroup var host: HostOptions

    @Argument(help: ArgumentHelp("create, start, pause, unpause or ready.", valueName: "operation"))
    var operation: String

    @Option(help: ArgumentHelp("How many of the next runs fail.", valueName: "N"))
    var count = 1

    func run() async throws {
        let admin = try SimCommandSupport.admin(host)
        guard let operation = SimOperation(rawValue: operation) else {
            let names = SimOperation.allCases.map(\.rawValue).joined(separator: ", ")
            throw failure("unknown operation \"\(self.operation)\"; use one of: \(names)")
        }
        guard count >= 1 else { throw failure("--count must be at least 1, not \(count)") }
        let count = self.count
        let pending = try await performing { () throws(HostError) in
            try await admin.injectFault(operation: operation, count: count)
        }
        let runs = count == 1 ? "run" : "\(count) runs"
        let total = pending == count ? "" : " (\(pending) pending)"
        print("the next \(runs) of \(operation) will fail\(total)")
    }
}
