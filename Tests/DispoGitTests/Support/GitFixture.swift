import DispoTestKit
import Foundation

/// Runs a program to completion; throws with its stderr when it fails.
@discardableResult
func sh(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], input: String? = nil)
    throws -> String
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment
    for (key, value) in Git.isolation.merging(environment, uniquingKeysWith: { $1 }) { env[key] = value }
    process.environment = env
    let output = Pipe()
    let errors = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw FixtureError("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
            + String(decoding: err, as: UTF8.self))
    }
    return String(decoding: out, as: UTF8.self)
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A person's clone and the bare repository the servers export, with signing keys of both kinds.
final class Git {
    /// Keeps the test runner's own git config out.
    static let isolation = [
        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com", "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
    ]

    let root: TemporaryDirectory
    var work: String { root.path + "/work" }
    /// The served repository: `<root>/served/dispo.git`.
    var bare: String { root.path + "/served/dispo.git" }
    var served: String { root.path + "/served" }
    var fileURL: String { "file://" + bare }

    init() throws {
        root = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try sh(["git", "init", "--quiet", "--bare", "--initial-branch=main", bare])
        try sh(["git", "init", "--quiet", "--initial-branch=main", work])
        try sh(["git", "-C", work, "remote", "add", "origin", bare])
    }

    /// Writes files (relative path → text; nil removes) in the clone.
    func write(_ files: [String: String?]) throws {
        for (path, text) in files {
            let full = work + "/" + path
            if let text {
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: full, atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(atPath: full)
            }
        }
    }

    enum Signing {
        case none
        case ssh(SSHKey)
        case openPGP(PGPKey)
    }

    /// Commits everything in the clone, signed as asked; returns the commit's hash.
    @discardableResult
    func commit(_ message: String, signing: Signing = .none, files: [String: String?] = [:]) throws -> String {
        try write(files)
        try sh(["git", "-C", work, "add", "-A"])
        var arguments = ["git", "-C", work]
        var environment: [String: String] = [:]
        switch signing {
        case .none: break
        case .ssh(let key):
            arguments += ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key.privateKey)", "-c", "commit.gpgsign=true"]
        case .openPGP(let key):
            arguments += ["-c", "user.signingkey=\(key.fingerprint)", "-c", "commit.gpgsign=true"]
            environment["GNUPGHOME"] = key.home
        }
        try sh(arguments + ["commit", "--quiet", "--allow-empty", "-m", message], environment: environment)
        return try head()
    }

    func head(_ ref: String = "HEAD") throws -> String {
        try sh(["git", "-C", work, "rev-parse", ref]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pushes the clone's branch (forced when asked) to the served repository.
    func push(_ branch: String = "main", force: Bool = false) throws {
        try sh(["git", "-C", work, "push", "--quiet"] + (force ? ["--force"] : []) + ["origin", branch])
    }
}

/// An SSH signing key and an `allowed_signers` file naming it.
struct SSHKey {
    let privateKey: String
    let allowedSigners: String

    init(in directory: TemporaryDirectory, name: String, email: String = "alice@example.com") throws {
        privateKey = directory.path + "/\(name)"
        try sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", privateKey])
        let publicKey = try String(contentsOfFile: privateKey + ".pub", encoding: .utf8)
        allowedSigners = directory.path + "/\(name).allowed_signers"
        try "\(email) \(publicKey)".write(toFile: allowedSigners, atomically: true, encoding: .utf8)
    }
}

/// An OpenPGP signing key in a GnuPG home of its own, and its public keyring exported to a file.
struct PGPKey {
    let home: String
    let fingerprint: String
    let keyring: String

    init(in directory: TemporaryDirectory, name: String) throws {
        home = directory.path + "/gnupg-\(name)"
        try FileManager.default.createDirectory(
            atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let environment = ["GNUPGHOME": home]
        try sh(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", "\(name) <\(name)@example.com>",
            "ed25519", "sign", "never"], environment: environment)
        let listing = try sh(["gpg", "--batch", "--with-colons", "--list-secret-keys"], environment: environment)
        guard let line = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }),
            let fingerprint = line.split(separator: ":", omittingEmptySubsequences: false).dropLast().last
        else { throw FixtureError("no fingerprint in: \(listing)") }
        self.fingerprint = String(fingerprint)
        keyring = directory.path + "/\(name).gpg"
        try sh(["gpg", "--batch", "--yes", "--output", keyring, "--export", self.fingerprint], environment: environment)
    }

    /// Stops the agent gpg started for this home.
    func stopAgent() {
        _ = try? sh(["gpgconf", "--kill", "gpg-agent"], environment: ["GNUPGHOME": home])
    }
}
