import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoGit
import DispoHost
import DispoQubes
import DispoQubesDaemon
import Logging
import ServiceLifecycle
import UnixSignals

/// `dispo watch`: the controller daemon.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controller: keep the host the way the config says, following every edit.",
        discussion: """
            Watches the config directory (inotify, debounced) and reconciles on every change, on
            host events (a disposable shut down, crashed or unpaused), after requests, and every
            --resync. An invalid edit never tears anything down: the last good config stays in
            force and the errors are logged (and shown by dispo status). An empty or vanished
            config directory removes nothing unless --allow-empty. SIGHUP forces a rescan;
            SIGTERM or SIGINT stop it after in-flight work drains (exit 0).

            The API (status, plan, requests, releases, metrics) is served on a Unix socket, mode 0660;
            dispo status, request and release use it.

            On Qubes OS (--host qubes) it runs the Qubes path of dispo apply in the loop instead,
            woken also by qubesd's events (a qube of dispo's changed behind its back is set back);
            qubesd keeps the preload queues, and POST /v1/disposables is admin.vm.CreateDisposable.
            --parallel and --drain-timeout do not apply there; a running named disposable whose
            spec changed still waits for dispo apply --restart.

            Examples:
              dispo watch -c /etc/dispo
              dispo watch -c examples/qubes --host sim:/tmp/host.json --socket /tmp/dispo.sock
              dispo watch --git /etc/dispo-source.yaml   # follow a git repository (see README)
              dispo watch -c /etc/dispo --host qubes --socket /run/dispo/dispo.sock
              dispo watch --log-format json 2>>/var/log/dispo.jsonl
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions

    @Option(help: ArgumentHelp("The API socket (default: /run/dispo/dispo.sock as root).", valueName: "PATH"))
    var socket: String?

    @Option(help: ArgumentHelp("Give the socket to this group (name or number).", valueName: "GROUP"))
    var socketGroup: String?

    @Flag(help: "Serve no API socket.")
    var noSocket = false

    @Flag(help: "Let an empty config remove every domain dispo made.")
    var allowEmpty = false

    @Option(help: ArgumentHelp("Re-plan at least this often.", valueName: "DURATION"))
    var resync = "30s"

    @Option(help: ArgumentHelp("Wait this long after a file change for more before rescanning.", valueName: "DURATION"))
    var debounce = "200ms"

    @Option(help: "How many actions (preload creations) run at once.")
    var parallel = 2

    @Option(help: ArgumentHelp("On SIGTERM, give in-flight work this long to finish.", valueName: "DURATION"))
    var drainTimeout = "30s"

    @Option(help: "Log format: text (journald-friendly under systemd) or json (one JSON object per line).")
    var logFormat = "text"

    @Option(help: "Least severe log level shown: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// Bad values are usage errors of this command (exit 64, watch's usage).
    func validate() throws {
        guard StandardErrorLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard parallel >= 1 else { throw ValidationError("--parallel must be 1 or more, found \(parallel)") }
        _ = try Self.seconds(resync, option: "--resync", positive: true)
        _ = try Self.seconds(debounce, option: "--debounce", positive: false)
        _ = try Self.seconds(drainTimeout, option: "--drain-timeout", positive: false)
    }

    func run() async throws {
        let format = StandardErrorLogHandler.Format(rawValue: logFormat) ?? .text
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let resyncSeconds = try Self.seconds(resync, option: "--resync", positive: true)
        let debounceSeconds = try Self.seconds(debounce, option: "--debounce", positive: false)
        let drainSeconds = try Self.seconds(drainTimeout, option: "--drain-timeout", positive: false)
        let logger = Logger(label: "dispo") { label in
            StandardErrorLogHandler(label: label, format: format, level: level)
        }
        let choice = try hostOptions.choice()
        // Qubes has no `Host`: qubesd is reached through its Admin API by the Qubes controller.
        var host: (any Host)?
        if case .qubes = choice {} else { host = try HostFactory.open(choice) }
        let directory = config.identity
        let socketPath = noSocket ? nil : canonicalPath(socket ?? SocketPath.defaultPath)
        // One controller per host: the lock is taken before anything is touched, and held until the process ends.
        let lock = try HostOwnership.acquire(choice, command: "watch", config: directory, socket: socketPath)
        defer { lock.release() }
        if let socketPath {
            do {
                try SocketPath.prepare(socketPath)
            } catch {
                throw failure(error.description)
            }
        }
        let source: any ConfigSource
        let stopSource: @Sendable () async -> Void
        if let git = try LoadedConfig.openSource(config, logger: logger) {
            source = git
            stopSource = { await git.stop() }
            logger.info("following a git source", metadata: [
                "source": "\(git.spec.name)", "url": "\(git.location)", "ref": "\(git.spec.ref)", "host_name": "\(git.host)",
                "interval": "\(git.spec.interval)s", "mirror": "\(git.directory)",
            ])
        } else {
            let watched = DirectorySource(directory: directory, debounce: .milliseconds(Int64(debounceSeconds * 1000)))
            source = watched
            stopSource = { watched.stop() }
        }
        // Under systemd (Type=notify): READY/RELOADING/STOPPING/STATUS and the watchdog. Both are read once and
        // taken out of the environment, so that git and libxl's hotplug scripts never speak for dispo.
        let watchdog = Watchdog.fromEnvironment()
        let notifier = ServiceNotifier.fromEnvironment()
        if let socket = notifier.socketName {
            var metadata: Logger.Metadata = ["socket": "\(socket)"]
            if let watchdog { metadata["watchdog_seconds"] = .stringConvertible(watchdog.interval) }
            logger.info("notifying the service manager", metadata: metadata)
        }
        // Shut down in reverse order: the controller drains first while the API still answers (503 to new requests).
        var services: [any Service] = []
        if let host {
            var reconcile = ReconcileOptions.controller
            reconcile.parallel = parallel
            reconcile.plan = PlanOptions(restart: false, allowEmpty: allowEmpty)
            let controller = Controller(
                host: host,
                options: ControllerOptions(
                    resync: resyncSeconds, drainTimeout: drainSeconds, reconcile: reconcile,
                    watchdog: notifier.isEnabled ? watchdog : nil),
                logger: logger, source: source, notifier: notifier)
            logger.info("watching", metadata: ["config": "\(directory)", "host": "\(host.location)"])
            if let socketPath {
                services.append(APIServer(path: socketPath, group: socketGroup, controller: controller, config: directory,
                    logger: logger))
            }
            services.append(ControllerService(controller: controller, hostEvents: host.events(), onStop: { Task { await stopSource() } }))
        } else if case .qubes(let qubesd) = choice {
            if watchdog != nil, notifier.isEnabled {
                logger.warning("WatchdogSec= is not supported with --host qubes; the watchdog is not pinged")
            }
            let client = AdminClient(socketPath: qubesd)
            let controller = QubesController(
                client: client, location: choice.location, source: source,
                options: QubesControllerOptions(resync: resyncSeconds, allowEmpty: allowEmpty), logger: logger,
                notifier: notifier)
            logger.info("watching", metadata: ["config": "\(directory)", "host": "\(choice.location)"])
            if let socketPath {
                services.append(APIServer(path: socketPath, group: socketGroup, controller: controller,
                    host: choice.location, config: directory, logger: logger))
            }
            services.append(QubesControllerService(controller: controller, client: client, logger: logger,
                onStop: { Task { await stopSource() } }))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw failure("\(error)")
        }
    }

    static func seconds(_ text: String, option: String, positive: Bool) throws -> Double {
        switch Interval.parse(text, unitRequired: false) {
        case .success(let interval):
            guard !interval.isNegative, !positive || interval.milliseconds > 0 else {
                throw ValidationError("\(option) must be \(positive ? "positive" : "zero or more"), found \(text)")
            }
            return interval.seconds
        case .failure(let error):
            throw ValidationError("\(option): \(error.message)")
        }
    }
}
