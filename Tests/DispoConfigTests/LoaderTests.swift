import DispoConfig
import Foundation
import DispoTestKit
import Testing

/// Reading a config directory: which files, in which order, and what happens with bad files.
struct LoaderTests {
    let loader = ConfigLoader(strictModes: false)
    static let system = "apiVersion: dispo/v1\nkind: System\n"

    @Test func readsYAMLRecursivelyInSortedOrderAndSkipsDroppings() throws {
        let dir = try TemporaryDirectory()
        try dir.write("b.yaml", base)
        try dir.write("a/z.yml", Self.system)
        try dir.write("a-b.yaml", "")
        for ignored in [
            ".hidden.yaml", ".#b.yaml", "b.yaml~", "b.yaml.swp", "b.yaml.swx", "4913", "notes.txt", "b.yaml.bak",
            ".git/config.yaml", ".hidden/x.yaml",
        ] {
            try dir.write(ignored, "this: [is not valid")
        }
        let result = loader.load(directory: dir.path)
        #expect(result.files == ["a-b.yaml", "a/z.yml", "b.yaml"])
        #expect(result.diagnostics == [])
        #expect(result.state.count == 3)
    }

    @Test func emptyDirectoryIsValidAndEmpty() throws {
        let dir = try TemporaryDirectory()
        let result = loader.load(directory: dir.path)
        #expect(result.isValid)
        #expect(result.files == [])
        #expect(result.state.count == 0)
    }

    @Test func emptyAndCommentOnlyFilesHoldNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.write("empty.yaml", "")
        try dir.write("comments.yaml", "# nothing here yet\n\n   # still nothing\n")
        try dir.write("separators.yaml", "---\n---\n# only separators\n---\n")
        let result = loader.load(directory: dir.path)
        #expect(result.isValid)
        #expect(result.files.count == 3)
        #expect(result.state.count == 0)
    }

    @Test func missingDirectoryIsAnError() {
        let result = loader.load(directory: "/nonexistent/dispo")
        #expect(rendered(result) == [
            ".: error: cannot read config directory /nonexistent/dispo: No such file or directory (use -c DIR or set DISPO_CONFIG)"
        ])
    }

    @Test func singleFileCanBeLoaded() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("only.yaml", base)
        let result = loader.load(directory: path)
        #expect(result.files == ["only.yaml"])
        #expect(result.state.disposableTemplates["default-dvm"] != nil)
    }

    @Test func oversizedFileIsRefusedWithoutParsing() throws {
        let dir = try TemporaryDirectory()
        try dir.write("big.yaml", "# " + String(repeating: "x", count: 1 << 20) + "\n")
        try dir.write("ok.yaml", Self.system)
        let clock = ContinuousClock()
        let start = clock.now
        let result = loader.load(directory: dir.path)
        #expect(clock.now - start < .seconds(5))
        #expect(rendered(result) == [
            "big.yaml: error: file is 1048579 bytes, more than the limit of 1048576 bytes; split it into several files"
        ])
        #expect(result.state.system != nil, "other files are still read")
    }

    @Test func aliasBombIsRefused() throws {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*\(level == 1 ? "a" : "l\(level - 1)")", count: 10).joined(separator: ", ")
            text += "l\(level): &l\(level) [\(refs)]\n"
        }
        let result = load(text)
        #expect(!result.isValid)
        #expect(result.diagnostics.first?.message.contains("alias") == true)
    }

    @Test func invalidUTF8IsAnErrorWithAPosition() throws {
        let dir = try TemporaryDirectory()
        try dir.writeBytes("bad.yaml", Array("apiVersion: dispo/v1\nkind: Sys".utf8) + [0xFF, 0xFE] + Array("tem\n".utf8))
        let result = loader.load(directory: dir.path)
        #expect(result.diagnostics.count == 1)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.path == "bad.yaml")
        #expect(diagnostic.line == 2)
        #expect(diagnostic.column == 10)
        #expect(diagnostic.message.contains("UTF-8"))
    }

    @Test func fifoIsSkippedWithoutBlocking() throws {
        let dir = try TemporaryDirectory()
        #expect(mkfifo(dir.path + "/pipe.yaml", 0o644) == 0)
        try dir.write("ok.yaml", Self.system)
        let result = loader.load(directory: dir.path)
        #expect(rendered(result) == ["pipe.yaml: warning: skipped: not a regular file"])
        #expect(result.files == ["ok.yaml"])
    }

    @Test func symlinkLoopsAreVisitedOnce() throws {
        let dir = try TemporaryDirectory()
        try dir.write("sub/a.yaml", Self.system)
        #expect(symlink(dir.path, dir.path + "/sub/loop") == 0)
        let result = loader.load(directory: dir.path)
        #expect(result.files == ["sub/a.yaml"])
        #expect(result.isValid)
    }

    @Test func strictModesRefuseGroupWritableFiles() throws {
        let dir = try TemporaryDirectory()
        try dir.write("ok.yaml", Self.system)
        try dir.write("open.yaml", base, mode: 0o664)
        let strict = ConfigLoader(strictModes: true).load(directory: dir.path)
        #expect(rendered(strict) == [
            "open.yaml: error: config file is writable by group or others (mode 664); refusing it (run chmod go-w on it)"
        ])
        #expect(loader.load(directory: dir.path).isValid, "not enforced when strict modes are off")
    }

    @Test func strictModesRefuseWorldWritableDirectories() throws {
        let dir = try TemporaryDirectory()
        try dir.write("conf.d/ok.yaml", Self.system)
        chmod(dir.path + "/conf.d", 0o777)
        let strict = ConfigLoader(strictModes: true).load(directory: dir.path)
        #expect(rendered(strict) == [
            "conf.d: error: config directory is writable by group or others (mode 777); refusing it (run chmod go-w on it)"
        ])
    }
}
