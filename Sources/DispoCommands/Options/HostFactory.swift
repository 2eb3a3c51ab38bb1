import ArgumentParser
import DispoHost
import DispoSim
import DispoXen
import class Foundation.FileManager

/// Opens the host `--host` names. A simulated host must exist (`dispo sim init` makes one): opening one never
/// creates a file or a folder.
enum HostFactory {
    static func open(_ choice: HostOptions.Choice, clock: any HostClock = SystemClock()) throws -> any Host {
        switch choice {
        case .sim(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw failure("no simulated host at \(path); create one with `dispo sim init --host sim:\(path)`")
            }
            return SimHost(path: path, clock: clock, createIfMissing: false)
        case .qubes:
            throw failure(
                "this command has no Qubes path: on Qubes dispo works through qubesd (diff, apply, status, request, "
                    + "release, watch); the simulated host is not Qubes")
        case .xen:
            guard HostOptions.isXenControlDomain else {
                throw failure(
                    "no Xen control domain found (/proc/xen/capabilities does not say control_d); "
                        + "run dispo in dom0, or use --host sim:PATH for the simulated host")
            }
            do {
                return try XenHost()
            } catch {
                throw failure(error.description)
            }
        }
    }

    static func open(_ options: HostOptions, clock: any HostClock = SystemClock()) throws -> any Host {
        try open(options.choice(), clock: clock)
    }
}

/// Prints `dispo: error: MESSAGE` on stderr; the returned exit code ends the program with status 1.
func failure(_ message: String) -> ExitCode {
    StandardError.write("dispo: error: \(message)")
    return ExitCode(1)
}

/// Runs a host operation, turning a ``HostError`` into `dispo: error: ...` and exit status 1.
func performing<Value>(_ body: () async throws(HostError) -> Value) async throws -> Value {
    do {
        return try await body()
    } catch {
        throw failure(error.description)
    }
}
