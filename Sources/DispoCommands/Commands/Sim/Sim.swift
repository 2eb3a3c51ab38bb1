import ArgumentParser

/// `dispo sim`: drive the simulated Xen host, playing the guests' and the user's part.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Drive the simulated Xen host (a state file).",
        discussion: """
            The simulated host keeps its domains, free memory, boot and balloon timing and
            pending faults in a JSON state file (--host sim:PATH). These commands do what a
            guest or a user would: add a VM dispo does not own, shut a guest down, crash it,
            unpause it behind dispo's back, or make the next operations fail.

            Examples:
              dispo sim init --host sim:/tmp/host.json --memory 8GiB --boot 6s --seed 42
              dispo sim add work --host sim:/tmp/host.json --memory 2GiB
              dispo sim ls --host sim:/tmp/host.json
              dispo sim fail start --count 2 --host sim:/tmp/host.json
            """,
        subcommands: [
            SimInit.self, SimList.self, SimAdd.self, SimShutdown.self, SimCrash.self, SimUnpause.self, SimFail.self,
        ]
    )
}
