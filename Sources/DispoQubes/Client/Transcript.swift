public import Foundation
import Synchronization

/// One request and the reply qubesd gave to it, as bytes (stored as text: every byte dispo exchanges is UTF-8,
/// NULs included, which JSON spells `\u0000`).
public struct TranscriptEntry: Sendable, Hashable, Codable {
    public var request: String
    public var reply: String

    public init(request: [UInt8], reply: [UInt8]) {
        self.request = String(decoding: request, as: UTF8.self)
        self.reply = String(decoding: reply, as: UTF8.self)
    }

    /// Reads a transcript file (a JSON array of entries).
    public static func load(_ url: URL) throws -> [TranscriptEntry] {
        try JSONDecoder().decode([TranscriptEntry].self, from: Data(contentsOf: url))
    }

    /// Writes entries as a JSON array, one entry per line, so a diff of two recordings is readable.
    public static func write(_ entries: [TranscriptEntry], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = try entries.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try Data(("[\n" + lines.joined(separator: ",\n") + "\n]\n").utf8).write(to: url)
    }
}

/// Answers each request with the reply recorded for the same bytes, in recorded order per request; a request the
/// transcript does not hold is ``QubesError/Code/unavailable`` naming it (so a changed call pattern fails loudly).
public final class ReplayTransport: AdminTransport {
    private let replies: Mutex<[String: [String]]>

    public init(_ entries: [TranscriptEntry]) {
        var replies: [String: [String]] = [:]
        for entry in entries { replies[entry.request, default: []].append(entry.reply) }
        self.replies = Mutex(replies)
    }

    public func exchange(_ frame: [UInt8]) async throws(QubesError) -> [UInt8] {
        let key = String(decoding: frame, as: UTF8.self)
        let reply: String? = replies.withLock { replies in
            guard var queue = replies[key], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            replies[key] = queue
            return first
        }
        guard let reply else {
            let shown = key.replacingOccurrences(of: "\0", with: "\\0")
            throw QubesError(.unavailable, "the transcript has no (further) reply to \(shown)")
        }
        return Array(reply.utf8)
    }

    public func stream(_ frame: [UInt8]) -> AsyncThrowingStream<[UInt8], any Error> {
        AsyncThrowingStream { continuation in
            Task {
                do {
                    continuation.yield(try await self.exchange(frame))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// Requests whose recorded replies were not all used.
    public var unused: [String] { replies.withLock { $0.filter { !$0.value.isEmpty }.map(\.key).sorted() } }
}
