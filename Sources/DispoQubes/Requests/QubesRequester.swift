public import DispoConfig
public import DispoEngine
import Foundation

/// `dispo request` on Qubes: `admin.vm.CreateDisposable`, so qubesd hands out from its own preload queue (or makes
/// a fresh disposable), then `admin.vm.Start` when what it gave is not running yet (a cold one). Targets resolve
/// as on Xen (a disposable template name, `@dispvm`, `@dispvm:NAME`, `@dispvm:@tag:TAG`); `@dispvm` without a
/// source is qubesd's `default_dispvm` (CreateDisposable on dom0), with `--source Q` that qube's.
public struct QubesRequester: Sendable {
    public let client: AdminClient

    public init(client: AdminClient) {
        self.client = client
    }

    /// Hands out one disposable. `preloaded` is true when qubesd gave a running one (a preload it had ready).
    public func request(_ target: String?, source: String?, desired: DesiredState) async throws(QubesError) -> Handout {
        let started = Date()
        let parsed: RequestTarget
        do {
            parsed = try RequestTarget.parse(target)
        } catch {
            throw QubesError(.badRequest, error.message)
        }
        let destination: String
        var template: String?
        switch parsed {
        case .defaultDispVM:
            if let source {
                let value = try await propertyValue(source, "default_dispvm")
                guard !value.isEmpty else {
                    throw QubesError(.unsatisfiable, "@dispvm: \(source) has no default_dispvm; name a disposable template")
                }
                destination = value
                template = value
            } else {
                destination = "dom0"  // qubesd: the caller's (dom0's) default_dispvm
                template = desired.system?.defaultDispVM
            }
        case .template(let name):
            guard desired.disposableTemplates[name] != nil else {
                let hint = Suggestion.hint(for: name, in: desired.disposableTemplates.keys.sorted())
                throw QubesError(.badRequest, "no disposable template named \(name)\(hint)")
            }
            destination = name
            template = name
        case .tagged(let tag):
            let matches = desired.disposableTemplates.values.filter { $0.settings.tags?.contains(tag) == true }
                .map(\.name).sorted()
            guard matches.count == 1 else {
                throw QubesError(.badRequest, matches.isEmpty ? "no disposable template has the tag \(tag)"
                    : "\(matches.count) disposable templates have the tag \(tag): \(matches.joined(separator: ", ")); name one")
            }
            destination = matches[0]
            template = matches[0]
        }
        let name = try await client.call("admin.vm.CreateDisposable", destination)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else {
            throw QubesError(.malformedReply, call: AdminCall("admin.vm.CreateDisposable", destination), "no qube named")
        }
        let listed = try QubesReader.parseList(try await client.call("admin.vm.List", name))[name]
        let preloaded = listed?.state == "Running"
        if !preloaded {
            do {
                _ = try await client.call("admin.vm.Start", name)
            } catch where error.exceptionType == "QubesVMNotHaltedError" {}
        }
        let xid = Int(try await propertyValue(name, "xid")) ?? -1
        if template == nil { template = try await propertyValue(name, "template") }
        return Handout(name: name, domid: xid, uuid: listed?.uuid ?? "", template: template ?? "",
            preloaded: preloaded, seconds: Date().timeIntervalSince(started))
    }

    /// The value of `property.Get` (`default=... type=... VALUE`).
    private func propertyValue(_ qube: String, _ property: String) async throws(QubesError) -> String {
        let reply = try await client.call("admin.vm.property.Get", qube, argument: property)
        let fields = reply.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        return fields.count > 2 ? String(fields[2]) : ""
    }
}

extension QubesRequester {
    /// `dispo release NAME` on Qubes: `admin.vm.Kill` of an unnamed disposable (a DispVM with `auto_cleanup`, not a
    /// preload still queued, not one of dispo's named disposables); qubesd then removes it (auto_cleanup).
    /// Anything else is refused and left as it is.
    public func release(_ name: String) async throws(QubesError) {
        let properties = try QubesReader.parseProperties(try await client.call("admin.vm.property.GetAll", name))
        guard properties["klass"]?.value == "DispVM", properties["auto_cleanup"]?.value == "True" else {
            throw QubesError(.badRequest, "\(name) is not an unnamed disposable (class "
                + "\(properties["klass"]?.value ?? "?"), auto_cleanup \(properties["auto_cleanup"]?.value ?? "?")); "
                + "named disposables stop with state: halted in their config")
        }
        guard properties["is_preload"]?.value != "True" else {
            throw QubesError(.badRequest, "\(name) is a preload still in qubesd's queue; request it first")
        }
        do {
            _ = try await client.call("admin.vm.Kill", name)
        } catch where error.exceptionType == "QubesVMNotStartedError" {}
    }
}
