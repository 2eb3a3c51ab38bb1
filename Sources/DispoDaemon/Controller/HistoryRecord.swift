public import DispoEngine

/// The reconcile history as one host metadata value (`history`): entries separated by `;`, each
/// `AT SECONDS ACTIONS ERRORS`, the newest ``limit`` kept. Compact, because xenstore values are small
/// (4 KiB) and every snapshot reads them.
enum HistoryRecord {
    static let limit = 50

    static func encode(_ entries: [StatusReport.HistoryEntry]) -> String {
        entries.suffix(limit).map { "\($0.at) \($0.seconds) \($0.actions) \($0.errors)" }.joined(separator: ";")
    }

    /// The entries of `text`; malformed ones (a record from another version) are skipped.
    static func decode(_ text: String) -> [StatusReport.HistoryEntry] {
        text.split(separator: ";").compactMap { entry in
            let fields = entry.split(separator: " ")
            guard fields.count == 4, let seconds = Double(fields[1]), let actions = Int(fields[2]),
                let errors = Int(fields[3])
            else { return nil }
            return StatusReport.HistoryEntry(at: String(fields[0]), seconds: seconds, actions: actions, errors: errors)
        }
    }
}
