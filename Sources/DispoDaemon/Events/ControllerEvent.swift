public import Foundation
package import DispoEngine

/// One thing the controller did, as `GET /v1/events` streams it (one JSON object per line) and `dispo events`
/// prints it. `seq` grows by one per event; fields that do not apply are absent.
package struct ControllerEvent: Sendable, Codable, Equatable {
    /// What happened.
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// A disposable was handed out (`object`, `template`, `preloaded`, `seconds`).
        case handedOut = "handed-out"
        /// An unnamed disposable was released (`object`).
        case released
        /// An action began (`action`, `role`, `reason`, `object`, `template`).
        case started
        /// A preload's memory was shrunk before its pause (`object`, `template`, `seconds`: the shrink's, and
        /// `shrink`: the measurement); comes right before the `done` of its creation.
        case shrunk
        /// An action ended well (`seconds`, and `detail` when there is a note).
        case done
        /// An action failed (`error`).
        case failed
        /// A preload unpaused outside dispo was counted as used (`object`).
        case adopted
        /// A config loaded and is in force (`revision`, `objects`, and `added`/`removed`/`changed` as `Kind/name`).
        case configLoaded = "config-loaded"
        /// A config load failed; the last good config stays in force (`errors`, `detail`: the first error).
        case configInvalid = "config-invalid"
        /// The config loads again after errors (then `config-loaded` follows when its content changed).
        case configValidAgain = "config-valid-again"
        /// A stretch of reconcile work ended (`actions`, `errors`, `seconds`).
        case reconciled
        /// Preloads were removed for a host suspend, refill held (`actions`: preloads removed, `seconds`, and
        /// `detail` naming those left when the time ran out).
        case hostSuspended = "host-suspended"
        /// The refill resumed after a host suspend (`seconds`: awake seconds it was held, when known).
        case hostResumed = "host-resumed"
        /// A host suspend record that no longer counts was removed; preloads refill (`detail`: why).
        case suspendIgnored = "suspend-ignored"
    }

    package var seq: Int = 0
    /// RFC 3339, UTC.
    package var at: String = ""
    package var type: Kind
    package var object: String?
    package var template: String?
    package var action: String?
    package var role: String?
    package var reason: String?
    package var seconds: Double?
    package var preloaded: Bool?
    package var error: String?
    package var detail: String?
    package var revision: String?
    package var objects: Int?
    package var actions: Int?
    package var errors: Int?
    package var added: [String]?
    package var removed: [String]?
    package var changed: [String]?
    /// The measurement of a `shrunk` event.
    package var shrink: ShrinkRecord?

    package init(_ type: Kind, object: String? = nil, template: String? = nil) {
        self.type = type
        self.object = object
        self.template = template
    }

    /// `handed-out disp12 template=default-dvm preloaded=true seconds=0.004`: one line for people.
    package var line: String {
        var fields: [String] = []
        func add(_ key: String, _ value: (any CustomStringConvertible)?) {
            if let value { fields.append("\(key)=\(value)") }
        }
        add("action", action)
        add("role", role)
        add("template", template)
        add("reason", reason)
        add("preloaded", preloaded)
        add("seconds", seconds)
        add("revision", revision)
        add("objects", objects)
        add("actions", actions)
        add("errors", errors)
        for (key, names) in [("added", added), ("removed", removed), ("changed", changed)] {
            if let names, !names.isEmpty { fields.append("\(key)=\(names.joined(separator: ","))") }
        }
        if let shrink {
            add("result", shrink.result.rawValue)
            add("before_kib", shrink.beforeKiB)
            add("after_kib", shrink.afterKiB)
            add("target_kib", shrink.targetKiB)
            add("reported_use_kib", shrink.reportedUseKiB)
        }
        add("error", error)
        add("detail", detail)
        let subject = object.map { " \($0)" } ?? ""
        return "\(at) \(type.rawValue)\(subject)" + (fields.isEmpty ? "" : " " + fields.joined(separator: " "))
    }
}

/// The answer of the long poll `GET /v1/events?since=N&wait=S`: the kept events after N (waiting up to S seconds
/// for one), and the number of the newest event, to ask with next. Without `since`: no events, just `last`.
package struct EventPage: Sendable, Codable, Equatable {
    package var events: [ControllerEvent]
    package var last: Int
}
