import ArgumentParser
import DispoConfig

/// `dispo validate`: load and check the config; exit 0 when valid (warnings allowed), 1 when not.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load and check the config directory.",
        discussion: """
            Reads every *.yaml and *.yml file under the directory (recursively, in sorted order,
            skipping hidden files and editor droppings) and reports every problem as
            PATH:LINE:COLUMN: error: MESSAGE. Exit status: 0 valid (warnings allowed), 1 invalid.

            Examples:
              dispo validate -c examples/qubes
              dispo validate -c /etc/dispo --json
              dispo validate -c examples/quickstart --print
            """)

    @OptionGroup var config: ConfigOptions

    @Flag(help: "Print the result as one JSON document.")
    var json = false

    @Flag(help: "Print the loaded objects as normalised YAML (units and defaults spelt out).")
    var print = false

    func run() throws {
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
