public import DispoEngine

/// The reconcile history as one host metadata value (`history`): entries separated by `;`, each
/// `AT SECONDS ACTIONS ERRORS [REVISION]`, the newest ``limit`` kept. Compact, because xenstore values are small
/// (4 KiB) and every snapshot reads them: a source revision (`main@sha1:<40 hex>`) is kept as `sha1:<12 hex>`.
enum HistoryRecord {
    static let limit = 50

    static func encode(_ entries: [StatusReport.HistoryEntry]) -> String {
        entries.suffix(limit).map { entry in
            let base = "\(entry.at) \(entry.seconds) \(entry.actions) \(entry.errors)"
            return entry.revision.map { base + " " + short($0) } ?? base
        }.joined(separator: ";")
    }

    /// `main@sha1:0123456789abcdef...` → `sha1:0123456789ab`; anything else to its first 24 characters, no spaces.
    static func short(_ revision: String) -> String {
        if let range = revision.firstRange(of: "sha1:") {
            return "sha1:" + revision[range.upperBound...].prefix(12)
        }
        return String(revision.filter { $0 != " " && $0 != ";" }.prefix(24))
    }

    /// The entries of `text`; malformed ones (a record from another version) are skipped.
    static func decode(_ text: String) -> [StatusReport.HistoryEntry] {
        text.split(separator: ";").compactMap { entry in
            let fields = entry.split(separator: " ")
            guard fields.count == 4 || fields.count == 5, let seconds = Double(fields[1]), let actions = Int(fields[2]),
                let errors = Int(fields[3])
            else { return nil }
            return StatusReport.HistoryEntry(
                at: String(fields[0]), seconds: seconds, actions: actions, errors: errors,
                revision: fields.count == 5 ? String(fields[4]) : nil)
        }
    }
}
