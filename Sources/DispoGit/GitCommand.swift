import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs Debian's `git` (and the fetch command) as child processes with a bounded output and a time limit.
///
/// Why git's command line and not libgit2: Debian 12's libgit2 (1.5) cannot check SSH commit signatures,
/// and git's own `verify-commit` checks both SSH (through `ssh-keygen -Y verify`) and OpenPGP (through gpg);
/// every transport (`ssh://` with the user's OpenSSH setup, smart HTTP, the git protocol, bundles) is the one
/// the operator already uses by hand.
///
/// Git runs with the user's and the system's git config ignored (`GIT_CONFIG_GLOBAL=/dev/null`,
/// `GIT_CONFIG_NOSYSTEM=1`), no terminal prompts and no pager, so nothing outside the source file changes what
/// is fetched or how it is verified.
struct GitCommand: Sendable {
    /// The bare mirror every command runs in (`--git-dir`), or nil.
    var gitDirectory: String?
    /// Extra environment, e.g. `GNUPGHOME` for an OpenPGP check.
    var environment: [String: String] = [:]
    /// Where `git` is (`$DISPO_GIT_PROGRAM`, else found on PATH).
    var program: String = ProcessInfo.processInfo.environment["DISPO_GIT_PROGRAM"] ?? "git"

    /// What one run gave.
    struct Output: Sendable {
        var status: Int32
        var standardOutput: [UInt8]
        var standardError: String
        var succeeded: Bool { status == 0 }
        var text: String { String(decoding: standardOutput, as: UTF8.self) }
        /// The first line of standard error (without git's `fatal: ` / `error: `), for messages.
        var reason: String {
            let line = standardError.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { !$0.isEmpty && !$0.hasPrefix("hint:") } ?? "exit status \(status)"
            for prefix in ["fatal: ", "error: "] where line.hasPrefix(prefix) { return String(line.dropFirst(prefix.count)) }
            return line
        }
    }

    /// Runs `git ARGUMENTS`; throws ``GitFailure`` only when git cannot run, is too slow or writes too much.
    func run(
        _ arguments: [String], input: [UInt8]? = nil, outputLimit: Int = 1 << 20, timeout: Double = 60
    ) async throws(GitFailure) -> Output {
        var all = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.file.allow=always"]
        if let gitDirectory { all += ["--git-dir=\(gitDirectory)"] }
        return try await Self.execute(
            program: program, arguments: all + arguments, environment: Self.gitEnvironment.merging(environment) { $1 },
            input: input, outputLimit: outputLimit, timeout: timeout)
    }

    /// What git runs with, over the inherited environment.
    static let gitEnvironment: [String: String] = [
        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat",
        "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false", "LC_ALL": "C", "LANGUAGE": "",
    ]

    /// Runs `program` (a name looked up on PATH, or a path) with a time limit; the output beyond `outputLimit`
    /// bytes fails the run (``GitFailure/tooMuchOutput``).
    static func execute(
        program: String, arguments: [String], environment: [String: String], input: [UInt8]?, outputLimit: Int,
        timeout: Double
    ) async throws(GitFailure) -> Output {
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var updates: [Environment.Key: String?] = [:]
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        let env = Environment.inherit.updating(updates)
        // Its own session, so that a timeout also ends what it started (ssh, qvm-run's helpers).
        let options: PlatformOptions = {
            var options = PlatformOptions()
            options.createSession = true
            options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
            return options
        }()
        let arguments = Arguments(arguments)
        do {
            return try await withThrowingTaskGroup(of: Output?.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(
                        executable, arguments: arguments, environment: env, platformOptions: options,
                        input: .array(input ?? []), output: .bytes(limit: outputLimit), error: .string(limit: 64 * 1024))
                    let status: Int32
                    switch result.terminationStatus {
                    case .exited(let code): status = code
                    case .signaled(let signal): status = 128 + signal
                    }
                    return Output(status: status, standardOutput: result.standardOutput,
                        standardError: result.standardError ?? "")
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let output = first else {
                    throw GitFailure.timedOut(program: program, seconds: timeout)
                }
                return output
            }
        } catch let error as GitFailure {
            throw error
        } catch let error as SubprocessError where error.code == .outputLimitExceeded {
            throw GitFailure.tooMuchOutput(program: program, limit: outputLimit)
        } catch let error as SubprocessError where error.code == .executableNotFound {
            throw GitFailure.cannotRun(program: program, reason: "not found on PATH (install Debian's git package)")
        } catch {
            throw GitFailure.cannotRun(program: program, reason: "\(error)")
        }
    }
}

/// Why a git (or fetch command) run did not give an answer at all.
enum GitFailure: Error, Sendable, CustomStringConvertible {
    case cannotRun(program: String, reason: String)
    case timedOut(program: String, seconds: Double)
    case tooMuchOutput(program: String, limit: Int)

    var description: String {
        switch self {
        case .cannotRun(let program, let reason): return "cannot run \(program): \(reason)"
        case .timedOut(let program, let seconds): return "\(program) did not finish within \(describeSeconds(seconds))"
        case .tooMuchOutput(let program, let limit): return "\(program) wrote more than \(limit) bytes"
        }
    }
}

/// A duration in a message: `30 s`, `0.5 s`.
func describeSeconds(_ seconds: Double) -> String {
    seconds >= 1 && seconds.rounded() == seconds ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
}
