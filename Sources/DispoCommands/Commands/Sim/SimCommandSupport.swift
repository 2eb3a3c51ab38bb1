import ArgumentParser
import DispoConfig
import DispoHost
import DispoSim

/// What the `dispo sim` subcommands share: the host from `--host`, value parsing, and errors printed as
/// `dispo: error: ...` on stderr with exit status 1.
enum SimCommandSupport {
    /// The simulated host `--host` names (or the default one), which must exist; `--host xen` is an error.
    static func admin(_ options: HostOptions) throws -> SimAdmin {
        SimAdmin(store: FileSimStore(path: try path(options), createIfMissing: false))
    }

    /// Runs one operation of the simulated host's admin on the domain `name`, then prints `NAME: OUTCOME`.
    static func act(
        _ options: HostOptions, on name: String, outcome: String,
        _ operation: @Sendable (SimAdmin, String) async throws(HostError) -> Void
    ) async throws {
        let admin = try admin(options)
        try await performing { () throws(HostError) in try await operation(admin, name) }
        print("\(name): \(outcome)")
    }

    /// The state file path `--host` names.
    static func path(_ options: HostOptions) throws -> String {
        switch try options.choice() {
        case .xen, .qubes:
            throw failure("dispo sim drives only the simulated host; pass --host sim:PATH")
        case .sim(let path):
            return path
        }
    }

    /// A plain integer of MiB (`400`) or a size with a unit (`1.5GiB`).
    static func size(_ text: String, option: String) throws -> Size {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let mebibytes = UInt64(text), mebibytes <= UInt64.max / 1024 else {
                throw failure("\(option): size \"\(text)\" is too large")
            }
            return .mebibytes(mebibytes)
        }
        switch Size.parse(text) {
        case .success(let size): return size
        case .failure(let error): throw failure("\(option): \(error.message)")
        }
    }

    /// A number of seconds (`2`) or a duration with a unit (`500ms`, `6s`).
    static func interval(_ text: String, option: String) throws -> Interval {
        switch Interval.parse(text, unitRequired: false) {
        case .success(let interval): return interval
        case .failure(let error): throw failure("\(option): \(error.message)")
        }
    }

    /// Memory as whole MiB, the way `ls` shows it.
    static func mebibytes(_ size: Size) -> String {
        "\(size.mebibytes)MiB"
    }
}
