public import Foundation
public import Logging

/// Writes log lines to stderr: readable text (with a timestamp on a terminal), journald-friendly text with
/// `<N>` priority prefixes under systemd, or JSON lines for `--log-format json`.
package struct StandardErrorLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: Format
    /// Under systemd (`$JOURNAL_STREAM` set), text lines start with `<N>` and carry no timestamp.
    let journal: Bool
    let sink: @Sendable (String) -> Void

    package init(
        label: String, format: Format, level: Logger.Level = .info, journal: Bool = StandardErrorLogHandler.underSystemd,
        sink: @escaping @Sendable (String) -> Void = StandardErrorLogHandler.writeToStandardError
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.journal = journal
        self.sink = sink
    }

    /// Whether stderr is the journal's stream: `$JOURNAL_STREAM` (`DEVICE:INODE`, set by systemd) names the file
    /// that descriptor 2 is, as systemd documents it; a shell started from a unit that redirects stderr keeps the
    /// variable but not the stream.
    package static var underSystemd: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return journalStream(stream, matchesDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Whether a `$JOURNAL_STREAM` value names this device and inode.
    package static func journalStream(_ value: String, matchesDevice device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return false
        }
        return streamDevice == device && streamInode == inode
    }

    package static let writeToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        switch format {
        case .json: sink(Self.jsonLine(event.level, "\(event.message)", merged, label: label))
        case .text: sink(textLine(event.level, "\(event.message)", merged))
        }
    }

    func textLine(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) -> String {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoted("\($0.value)"))" }
        let tail = fields.isEmpty ? "" : " " + fields.joined(separator: " ")
        if journal { return "<\(Self.priority(level))>\(message)\(tail)" }
        let time = Date().ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        return "\(time) \(level.rawValue) \(message)\(tail)"
    }

    /// One JSON object; a field logged as a number or a flag (`.stringConvertible(3)`) stays one.
    static func jsonLine(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata, label: String) -> String {
        var object: [String: JSONField] = [:]
        for (key, value) in metadata { object[key] = JSONField(value) }
        object["time"] = .text(Date().ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
        object["level"] = .text(level.rawValue)
        object["message"] = .text(message)
        object["label"] = .text(label)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { return "{\"message\":\"unencodable log line\"}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// syslog priorities, as journald reads them from a `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value
    }
}

/// A JSON log field: text, or a number or flag when it was logged as one.
enum JSONField: Encodable {
    case text(String)
    case integer(Int)
    case real(Double)
    case flag(Bool)

    init(_ value: Logger.Metadata.Value) {
        if case .stringConvertible(let convertible) = value {
            switch convertible {
            case let number as Int: self = .integer(number)
            case let number as Int32: self = .integer(Int(number))
            case let number as Double where number.isFinite: self = .real(number)
            case let flag as Bool: self = .flag(flag)
            default: self = .text(convertible.description)
            }
            return
        }
        self = .text("\(value)")
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .real(let number): try container.encode(number)
        case .flag(let flag): try container.encode(flag)
        }
    }
}
