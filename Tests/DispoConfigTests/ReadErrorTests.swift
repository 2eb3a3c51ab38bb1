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
