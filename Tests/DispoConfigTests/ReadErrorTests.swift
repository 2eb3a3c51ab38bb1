import DispoConfig
import DispoTestKit
import Foundation
import Testing

/// A config file that cannot be read is an error (so the config in force stays), never a silent skip whose
/// objects would count as deleted: dangling symlinks, symlink loops, names that are not UTF-8 (issue 16).
struct ReadErrorTests {
    static let objects = "apiVersion: dispo/v1\nkind: Template\nname: t\nkernel: /k\n"

    @Test func unreadableConfigFilesAreErrors() throws {
        let directory = try TemporaryDirectory(["a.yaml": Self.objects, "notes.txt": "x"])
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/dangling.yaml", withDestinationPath: "gone.yaml")
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/loop.yaml", withDestinationPath: "loop.yaml")
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/other-link", withDestinationPath: "gone")
        let latin1 = Array(directory.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".yaml".utf8) + [0]
        let descriptor = latin1.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(descriptor >= 0)
        close(descriptor)

        let result = ConfigLoader(strictModes: false).load(directory: directory.path)
        #expect(!result.isValid, "the load is invalid, so the controller keeps the config in force")
        let errors = Dictionary(result.diagnostics.filter { $0.severity == .error }.map { ($0.path, $0.message) }) { a, _ in a }
        #expect(errors["dangling.yaml"]?.contains("dangling symlink") == true)
        #expect(errors["loop.yaml"]?.contains("symbolic links") == true)
        #expect(errors["caf\u{FFFD}.yaml"]?.contains("not UTF-8") == true, "\(errors)")
        #expect(errors["other-link"] == nil, "a link that does not look like config is left alone")
        #expect(errors.count == 3)
    }
}

/// Issue 16, paths: as root, a config is only as safe as every directory on the way to it (after sshd's
/// `secure_filename`): a root-owned config under a directory another user can write, `-c FILE` in such a
/// directory, and a symlink into one are refused; sticky directories such as `/tmp` are fine.
struct ConfigPathTests {
    @Test func everyDirectoryOnTheWayMustBeSafe() throws {
        let top = try TemporaryDirectory()
        let open = top.path + "/open"
        try FileManager.default.createDirectory(atPath: open + "/config", withIntermediateDirectories: true)
        chmod(top.path, 0o755)
        chmod(open, 0o777)
        chmod(open + "/config", 0o755)
        let file = open + "/config/a.yaml"
        try ReadErrorTests.objects.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let strict = ConfigLoader(strictModes: true)

        let byDirectory = strict.load(directory: open + "/config")
        #expect(!byDirectory.isValid)
        #expect(byDirectory.diagnostics.contains { $0.message.contains("\(open), on the way to it, is writable by group or others") })
        #expect(!strict.load(directory: file).isValid, "-c FILE in such a directory is refused too")

        let safe = top.path + "/safe"
        try FileManager.default.createDirectory(atPath: safe, withIntermediateDirectories: true)
        chmod(safe, 0o755)
        try ReadErrorTests.objects.write(toFile: safe + "/a.yaml", atomically: true, encoding: .utf8)
        chmod(safe + "/a.yaml", 0o644)
        #expect(strict.load(directory: safe).isValid, "a path of safe and sticky directories (/tmp) is fine: \(strict.load(directory: safe).diagnostics)")

        try FileManager.default.createSymbolicLink(atPath: safe + "/b.yaml", withDestinationPath: file)
        let linked = strict.load(directory: safe)
        #expect(linked.diagnostics.contains { $0.path == "b.yaml" && $0.message.contains("on the way to it") },
            "a link is judged where it leads: \(linked.diagnostics)")
        #expect(ConfigLoader(strictModes: false).load(directory: open + "/config").isValid, "only strict modes check")
    }
}
