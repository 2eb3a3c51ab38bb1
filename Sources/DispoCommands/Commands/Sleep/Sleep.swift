import ArgumentParser

/// `dispo sleep`: the preload queues across a host suspend, for the systemd-sleep hook.
struct Sleep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sleep",
        abstract: "Hold the preload queues across a host suspend (what the systemd-sleep hook runs).",
        discussion: """
            Paused domains do not survive a host suspend well (Qubes issue 9918), so, as Qubes
            does, dispo removes its preloads before the host sleeps and refills the queues after
            it wakes. Disposables in use and named disposables are left alone; a request while
            the queues are held starts a disposable cold. The hook installed with dispo
            (system-sleep/dispo) runs `dispo sleep pre` and `dispo sleep post`.

            The hold is a record in the host's metadata, so it outlives a controller restart.
            It ends with `dispo sleep post`, or, should that never come, once it is from an
            earlier boot or older than 10 minutes of awake time (time asleep does not count):
            the next pass then warns and refills.

            Examples:
              dispo sleep pre --timeout 45s
              dispo sleep post
              dispo sleep pre --host sim:/tmp/host.json --json | jq .removed
            """,
        subcommands: [SleepPre.self, SleepPost.self]
    )
}
