import DispoTestKit
import Foundation

/// A server process on loopback, stopped when released.
final class GitServer {
    let process = Process()
    let url: String
    private let log: String

    private init(arguments: [String], url: String, log: String, port: Int) throws {
        self.url = url
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        var env = ProcessInfo.processInfo.environment
        for (key, value) in Git.isolation { env[key] = value }
        process.environment = env
        try process.run()
        guard Self.waitForPort(port, process: process) else {
            kill(process.processIdentifier, SIGKILL)
            throw FixtureError("\(arguments.joined(separator: " ")) did not listen on \(port): "
                + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        }
    }

    deinit {
        stop()
    }

    /// Kills the server (SIGKILL: a child spawned from a libdispatch worker thread inherits its blocked signals,
    /// SIGTERM among them) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `git daemon` exporting `git.served` on a free loopback port: `git://127.0.0.1:PORT/dispo.git`.
    static func daemon(_ git: Git) throws -> GitServer {
        let port = freePort()
        return try GitServer(
            arguments: [try sh(["git", "--exec-path"]).trimmingCharacters(in: .whitespacesAndNewlines) + "/git-daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--export-all",
                "--base-path=\(git.served)", git.served],
            url: "git://127.0.0.1:\(port)/dispo.git", log: git.root.path + "/git-daemon.log", port: port)
    }

    /// `git http-backend` behind a small Python HTTP server: `http://127.0.0.1:PORT/dispo.git`.
    static func http(_ git: Git) throws -> GitServer {
        let port = freePort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("git-http-server.py").path
        return try GitServer(
            arguments: ["python3", script, "--port", "\(port)", "--root", git.served],
            url: "http://127.0.0.1:\(port)/dispo.git", log: git.root.path + "/git-http.log", port: port)
    }

    /// A loopback port nothing listens on now (bound and released).
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// 127.0.0.1:`port`.
    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// Polls until something accepts on the port (at most 20 s).
    static func waitForPort(_ port: Int, process: Process) -> Bool {
        for _ in 0..<400 {
            guard process.isRunning else { return false }
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(descriptor)
            if connected == 0 { return true }
            usleep(50_000)
        }
        return false
    }
}
