import DispoConfig
import Foundation

/// Checks a commit's signature against the source's policy with `git verify-commit`: SSH signatures against
/// an `allowed_signers` file (`gpg.ssh.allowedSignersFile`), OpenPGP ones against the keys of a keyring file
/// imported into a fresh, private `GNUPGHOME` for each check (so no key from anywhere else is trusted).
struct CommitVerifier: Sendable {
    let policy: GitSourceSpec.Verification
    /// Where the temporary GnuPG homes go (beside the mirror).
    let scratch: String

    /// nil when the commit may be applied, else why not (one line: unsigned, unknown key, bad signature).
    func refusal(of commit: String, in mirror: GitMirror) async throws(SourceProblem) -> String? {
        let object = try await mirror.commitObject(commit)
        let headers = object.components(separatedBy: "\n\n").first ?? ""
        let signature = headers.split(separator: "\n").first { $0.hasPrefix("gpgsig ") || $0.hasPrefix("gpgsig-sha256 ") }
        let isSSH = headers.contains("-----BEGIN SSH SIGNATURE-----")
        switch policy {
        case .none:
            return nil
        case .ssh(let allowedSigners):
            guard signature != nil else { return "the commit is unsigned (verify.mode is ssh)" }
            guard isSSH else { return "the commit has an OpenPGP signature, but verify.mode is ssh" }
            guard FileManager.default.isReadableFile(atPath: allowedSigners) else {
                return "cannot read verify.allowed_signers \(allowedSigners)"
            }
            let output = try await run(
                mirror.git, ["-c", "gpg.ssh.allowedSignersFile=\(allowedSigners)", "verify-commit", "--raw", commit])
            if output.succeeded { return nil }
            let text = output.standardError
            if text.contains("No principal matched") || text.contains("no matching principal") {
                return "signed by an SSH key that is not in \(allowedSigners)"
            }
            return "the SSH signature does not verify: \(output.reason)"
        case .openPGP(let keyring):
            guard signature != nil else { return "the commit is unsigned (verify.mode is openpgp)" }
            guard !isSSH else { return "the commit has an SSH signature, but verify.mode is openpgp" }
            guard FileManager.default.isReadableFile(atPath: keyring) else {
                return "cannot read verify.keyring \(keyring)"
            }
            let home = scratch + "/gnupg-\(UUID().uuidString.prefix(8))"
            do {
                try FileManager.default.createDirectory(
                    atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SourceProblem("cannot create \(home): \(error.localizedDescription)")
            }
            defer { try? FileManager.default.removeItem(atPath: home) }
            let imported: GitCommand.Output
            do {
                imported = try await GitCommand.execute(
                    program: "gpg", arguments: ["--batch", "--quiet", "--no-autostart", "--import", keyring],
                    environment: ["GNUPGHOME": home], input: nil, outputLimit: 1 << 20, timeout: 30)
            } catch {
                throw SourceProblem("cannot import verify.keyring: \(error)")
            }
            guard imported.succeeded else { return "cannot import verify.keyring \(keyring): \(imported.reason)" }
            var git = mirror.git
            git.environment = ["GNUPGHOME": home]
            let output = try await run(git, ["verify-commit", "--raw", commit])
            if output.succeeded { return nil }
            let status = output.standardError
            if status.contains("NO_PUBKEY") || status.contains("ERRSIG") {
                return "signed by an OpenPGP key that is not in \(keyring)"
            }
            if status.contains("BADSIG") { return "the OpenPGP signature is bad (the commit was altered after signing)" }
            if status.contains("EXPKEYSIG") || status.contains("REVKEYSIG") {
                return "signed by an expired or revoked OpenPGP key"
            }
            return "the OpenPGP signature does not verify: \(output.reason)"
        }
    }

    private func run(_ git: GitCommand, _ arguments: [String]) async throws(SourceProblem) -> GitCommand.Output {
        do {
            return try await git.run(arguments, timeout: 30)
        } catch {
            throw SourceProblem("\(error)")
        }
    }
}
