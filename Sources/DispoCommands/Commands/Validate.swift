import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoGit

/// `dispo validate`: load and check the config; exit 0 when valid (warnings allowed), 1 when not.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load and check the config directory.",
        discussion: """
            Reads every *.yaml and *.yml file under the directory (recursively, in sorted order,
            skipping hidden files and editor droppings) and reports every problem as
            PATH:LINE:COLUMN: error: MESSAGE. Exit status: 0 valid (warnings allowed), 1 invalid.

            With --git, the source file is checked, the repository fetched, and the config of
            the fetched head validated (as the controller would read it). --all-hosts validates it
            for every host of the repository (each directory where a ${host} layer points);
            --worktree DIR reads a checked-out copy instead of fetching, for CI in the repository.

            Examples:
              dispo validate -c examples/qubes
              dispo validate --git /etc/dispo-source.yaml --all-hosts
              dispo validate --git ci/source.yaml --worktree . --all-hosts --json
              dispo validate -c /etc/dispo --json
              dispo validate -c examples/quickstart --print
            """)

    @OptionGroup var config: ConfigOptions

    @Flag(help: "Print the result as one JSON document.")
    var json = false

    @Flag(help: "Print the loaded objects as normalised YAML (units and defaults spelt out).")
    var print = false

    @Flag(help: "With --git: validate the config of every host of the repository.")
    var allHosts = false

    @Option(help: ArgumentHelp("With --git: read this checked-out copy of the repository, not a fetch.", valueName: "DIR"))
    var worktree: String?

    func validate() throws {
        if allHosts || worktree != nil, config.resolvedSource == nil {
            throw ValidationError("--all-hosts and --worktree need a git source (--git FILE)")
        }
    }

    func run() async throws {
        if config.resolvedSource != nil {
            try await validateSource()
            return
        }
        let directory = config.resolvedDirectory
        let result = ConfigLoader().load(directory: directory)
        if json {
            try JSONOutput.print(ValidateReport(result))
        } else {
            report(result, directory: directory)
        }
        if !result.isValid { throw ExitCode(1) }
    }

    /// Diagnostics and the summary go to stdout, or to stderr with `--print` so stdout is only YAML.
    private func report(_ result: ConfigLoader.Result, directory: String) {
        let terminal = print ? Terminal.plain : Terminal.standardOutput
        let emit: (String) -> Void = print ? { StandardError.write($0) } : { Swift.print($0) }
        var renderer = DiagnosticRenderer(terminal: terminal, directory: directory)
        for diagnostic in result.diagnostics { emit(renderer.render(diagnostic)) }
        let errors = result.diagnostics.errorCount
        let warnings = result.diagnostics.warningCount
        let warningText = warnings == 0 ? "" : ", \(plural(warnings, "warning"))"
        if errors > 0 {
            emit("\(terminal.paint("invalid:", .red)) \(plural(errors, "error"))\(warningText) in \(directory)")
            return
        }
        if print {
            Swift.print(YAMLWriter.write(result.state), terminator: "")
        }
        if result.files.isEmpty {
            emit("\(terminal.paint("warning:", .yellow)) no config files (*.yaml, *.yml) in \(directory)")
        }
        let kinds = result.state.countsByKind.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        let breakdown = kinds.isEmpty ? "" : " (\(kinds))"
        emit(
            "\(terminal.paint("valid:", .green)) \(plural(result.state.count, "object"))\(breakdown) "
                + "from \(plural(result.files.count, "file")) in \(directory)\(warningText)")
    }
}

extension Validate {
    /// `--git`: the fetched head (or the worktree), for this host or every host.
    private func validateSource() async throws {
        guard let source = try LoadedConfig.openSource(config) else { return }
        let hosts: [(host: String, load: ConfigLoad)]
        let revision: String
        let only = allHosts ? nil : source.host
        if let worktree {
            switch GitSource.loadWorktree(worktree, spec: source.spec, host: only, defaultHost: source.host) {
            case .failure(let problem): throw failure(problem.message)
            case .success(let found): (revision, hosts) = (worktree, found)
            }
        } else {
            switch await source.loadFetched(host: only) {
            case .failure(let problem): throw failure(problem.message)
            case .success(let found): (revision, hosts) = (found.revision, found.hosts)
            }
        }
        if json {
            try JSONOutput.print(HostsValidateReport(revision: revision, hosts: hosts))
        } else {
            let terminal = Terminal.standardOutput
            var renderer = DiagnosticRenderer(terminal: terminal, directory: worktree)
            for (host, load) in hosts {
                for diagnostic in load.diagnostics { Swift.print("[\(host)] " + renderer.render(diagnostic)) }
                let errors = load.diagnostics.errorCount
                if errors > 0 {
                    Swift.print("\(terminal.paint("invalid:", .red)) host \(host): \(plural(errors, "error")) in \(revision)")
                } else {
                    Swift.print("\(terminal.paint("valid:", .green)) host \(host): \(plural(load.state.count, "object")) in \(revision)")
                }
            }
        }
        if hosts.contains(where: { !$0.load.isValid }) { throw ExitCode(1) }
    }
}

/// The `validate --git --json` document: one entry per host.
struct HostsValidateReport: Encodable {
    struct Host: Encodable {
        var host: String
        var ok: Bool
        var objects: Int
        var diagnostics: [Diagnostic]
    }
    var ok: Bool
    var revision: String
    var hosts: [Host]

    init(revision: String, hosts: [(host: String, load: ConfigLoad)]) {
        self.revision = revision
        self.hosts = hosts.map { Host(host: $0.host, ok: $0.load.isValid, objects: $0.load.state.count, diagnostics: $0.load.diagnostics) }
        ok = self.hosts.allSatisfy(\.ok)
    }
}

func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// The `validate --json` document.
struct ValidateReport: Encodable {
    var ok: Bool
    var objects: Int
    var files: [String]
    var diagnostics: [Diagnostic]

    init(_ result: ConfigLoader.Result) {
        ok = result.isValid
        objects = result.state.count
        files = result.files
        diagnostics = result.diagnostics
    }
}
