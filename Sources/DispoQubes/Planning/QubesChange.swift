/// One Admin API change the Qubes plan makes, with why.
public struct QubesChange: Sendable, Hashable, CustomStringConvertible {
    public enum Operation: Sendable, Hashable {
        /// `admin.vm.Create.AppVM+TEMPLATE` with `name=NAME label=LABEL`, then dispo's tag.
        case createAppVM(template: String, label: String)
        /// `admin.vm.Create.DispVM+DVM` with `name=NAME label=LABEL`, then dispo's tag.
        case createDispVM(disposableTemplate: String, label: String)
        /// `admin.vm.property.Set+NAME` (an empty value is "none" for a qube-valued property).
        case setProperty(String, value: String)
        /// `admin.property.Set+NAME` on dom0 (the global properties, e.g. `default_dispvm`).
        case setGlobalProperty(String, value: String)
        case setFeature(String, value: String)
        case removeFeature(String)
        case addTag(String)
        case removeTag(String)
        /// `admin.vm.Start`.
        case start
        /// `admin.vm.Shutdown+force` (then, for a restart, `admin.vm.Start`).
        case shutdown
        /// Shutdown, then start, then the new revision: a running named disposable whose spec changed (only with
        /// `--restart`).
        case restart(revision: String)
        /// `admin.vm.Kill` when it runs, then `admin.vm.Remove`.
        case remove
    }

    /// What the change is about in dispo's terms (the diff's `role`).
    public enum Role: String, Sendable, Hashable, Codable {
        case disposableTemplate = "disposable-template"
        case named
        case system
    }

    /// The qube the change is made on (`dom0` for the System's).
    public var qube: String
    public var operation: Operation
    public var role: Role
    /// `create`, `drift`, `prune`, `state`, `spec-changed`, `system`.
    public var reason: String
    /// What differs, e.g. `memory 300 -> 400`.
    public var detail: String
    /// Left alone without a flag (a restart without `--restart`).
    public var pending: Bool = false

    /// The diff's `op`: create, set, unset, start, stop, restart, destroy.
    public var op: String {
        switch operation {
        case .createAppVM, .createDispVM: return "create"
        case .setProperty, .setGlobalProperty, .setFeature, .addTag: return "set"
        case .removeFeature, .removeTag: return "unset"
        case .start: return "start"
        case .shutdown: return "stop"
        case .restart: return "restart"
        case .remove: return "destroy"
        }
    }

    public var description: String {
        let sign: String
        switch op {
        case "create", "start", "set": sign = "+"
        case "restart": sign = "~"
        default: sign = "-"
        }
        return "\(sign) \(qube): \(detail)\(pending ? " [pending]" : "") (\(reason))"
    }
}

/// Something that blocks part of the plan: a name taken by a qube dispo did not make, a missing TemplateVM.
public struct QubesProblem: Sendable, Hashable, CustomStringConvertible {
    public var subject: String
    public var message: String

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}

/// The Qubes plan: the changes in the order they run, and what blocks.
public struct QubesPlan: Sendable, Hashable {
    public var changes: [QubesChange] = []
    public var problems: [QubesProblem] = []
    /// The index of the qubes dispo made, as it should be after the plan ran (dom0 feature `dispo-qubes`).
    public var index: Set<String> = []
    /// True when the observed index differs from ``index`` (an update is part of applying the plan).
    public var indexChanged = false

    /// What apply runs (pending changes excluded).
    public var runnable: [QubesChange] { changes.filter { !$0.pending } }
    /// Nothing to do and nothing blocking.
    public var isInSync: Bool { changes.isEmpty && problems.isEmpty && !indexChanged }
}
