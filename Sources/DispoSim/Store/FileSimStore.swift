import Dispatch
public import DispoHost
import Foundation

/// A store in a JSON file, safe for several processes: every read-modify-write holds an exclusive `flock` on
/// `PATH.lock`, and every write is atomic (temp file, fsync, rename, fsync of the directory). The file is 0600.
/// A read takes no lock and writes nothing (an atomic write is never seen half-done), so reading a host leaves
/// no trace: no lock file, no folder, no fresh host.
///
/// The blocking file work and the lock wait run on a private serial queue, never on Swift's cooperative pool.
public final class FileSimStore: SimStore {
    public let path: String
    /// When true, a missing file (and its folder) is initialised with a default host on the first change; when
    /// false, a missing file is an error naming the path and `dispo sim init`.
    public let createIfMissing: Bool
    private let queue = DispatchQueue(label: "dispo.sim.state-file")

    public init(path: String, createIfMissing: Bool = true) {
        self.path = path
        self.createIfMissing = createIfMissing
    }

    public var location: String { "sim:\(path)" }

    /// The file's inode, size and modification time mixed: every atomic write changes it.
    public func changeStamp() -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        let nanoseconds = UInt64(truncatingIfNeeded: info.st_mtim.tv_sec) &* 1_000_000_000
            &+ UInt64(truncatingIfNeeded: info.st_mtim.tv_nsec)
        return nanoseconds ^ (UInt64(truncatingIfNeeded: info.st_ino) &* 0x9E37_79B9_7F4A_7C15)
            ^ UInt64(truncatingIfNeeded: info.st_size)
    }
    private var lockPath: String { path + ".lock" }

    public func read() async throws(HostError) -> SimState {
        try await onQueue { () throws(HostError) in try self.load().0 }
    }

    public func modify<Value: Sendable>(
        _ change: @escaping @Sendable (inout SimState) throws(HostError) -> Value
    ) async throws(HostError) -> Value {
        try await onQueue { () throws(HostError) in
            if self.createIfMissing { try StateFile.ensureParentDirectory(of: self.path) } else { try self.requireFile() }
            return try StateFile.withExclusiveLock(self.lockPath) { () throws(HostError) in
                let (loaded, existed) = try self.load()
                var state = loaded
                let value = try change(&state)
                if state != loaded || !existed { try self.save(state) }
                return value
            }
        }
    }

    public func replace(with state: SimState) async throws(HostError) {
        try await onQueue { () throws(HostError) in
            try StateFile.ensureParentDirectory(of: self.path)
            try StateFile.withExclusiveLock(self.lockPath) { () throws(HostError) in try self.save(state) }
        }
    }

    private func requireFile() throws(HostError) {
        guard access(path, F_OK) == 0 else { throw missing() }
    }

    private func missing() -> HostError {
        HostError(.unavailable, "no simulated host at \(path); create one with `dispo sim init --host sim:\(path)`")
    }

    /// The state in the file, and whether the file existed; a default host when it is missing and may be created.
    private func load() throws(HostError) -> (SimState, Bool) {
        guard let bytes = try StateFile.read(path) else {
            guard createIfMissing else { throw missing() }
            return (SimState(), false)
        }
        return (try Self.decode(bytes, path: path), true)
    }

    /// The state in a state file's bytes, checked: unreadable JSON, another format version or an inconsistent
    /// host (``inconsistency(in:)``) is an error that says what to do, never a fresh host.
    package static func decode(_ bytes: [UInt8], path: String) throws(HostError) -> SimState {
        let state: SimState
        do {
            state = try JSONDecoder().decode(SimState.self, from: Data(bytes))
        } catch {
            throw HostError(
                .unavailable,
                "the sim state file \(path) is unreadable (\(Self.describe(error))); "
                    + "start a fresh host with `dispo sim init --host sim:\(path)`")
        }
        guard state.version == SimState.currentVersion else {
            throw HostError(
                .unavailable,
                "the sim state file \(path) has version \(state.version), this dispo reads version "
                    + "\(SimState.currentVersion); start a fresh host with `dispo sim init --host sim:\(path)`")
        }
        if let problem = Self.inconsistency(in: state) {
            throw HostError(
                .unavailable,
                "the sim state file \(path) is inconsistent: \(problem); nothing was changed. Fix the file, or start "
                    + "a fresh host with `dispo sim init --host sim:\(path)`")
        }
        return state
    }

    /// Why `state` cannot be a real host (two domains with one name, domid or UUID; a domid at or above the
    /// next one to hand out), or nil. A host like that would let an action aimed at one domain hit another.
    static func inconsistency(in state: SimState) -> String? {
        var names: Set<String> = []
        var domids: Set<Int> = []
        var uuids: Set<String> = []
        for domain in state.domains {
            if !names.insert(domain.name).inserted { return "two domains are named \(domain.name)" }
            if !domids.insert(domain.domid).inserted { return "two domains have domid \(domain.domid)" }
            if !uuids.insert(domain.uuid).inserted { return "two domains have UUID \(domain.uuid)" }
            if domain.domid >= state.nextDomid {
                return "\(domain.name) has domid \(domain.domid), not below the next domid \(state.nextDomid)"
            }
        }
        return nil
    }

    private func save(_ state: SimState) throws(HostError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(state)
        } catch {
            throw HostError(.unavailable, "cannot encode the sim state: \(error)")
        }
        try StateFile.writeAtomically(Array(data) + [0x0A], to: path)
    }

    /// Runs blocking `work` on the store's queue and resumes the caller with its result.
    private func onQueue<Value: Sendable>(
        _ work: @escaping @Sendable () throws(HostError) -> Value
    ) async throws(HostError) -> Value {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Value, HostError>, Never>) in
            queue.async { continuation.resume(returning: Result { () throws(HostError) in try work() }) }
        }
        return try result.get()
    }

    /// A short reason for a decoding failure, without Foundation's long debug text.
    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            let reason: String
            if case .keyNotFound(let key, _) = decoding {
                reason = "missing \(key.stringValue)"
            } else {
                reason = context.debugDescription
            }
            return path.isEmpty ? reason : "\(path): \(reason)"
        @unknown default:
            return "\(error)"
        }
    }
}
