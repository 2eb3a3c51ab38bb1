public import DispoConfig

/// Reads a ``QubesObservation`` with listings wherever one answers: per host `admin.vm.List`,
/// `admin.property.GetAll` and dom0's `admin.vm.feature.List`; per qube dispo may act on `property.GetAll`,
/// `tag.List` and `feature.List`. A feature's value has no listing, so the few features dispo reads are one `Get`
/// each, and only when the list shows them set. The qubes of one read are read concurrently.
public struct QubesReader: Sendable {
    public let client: AdminClient

    public init(client: AdminClient) {
        self.client = client
    }

    /// Reads the host, and in detail: the names `desired` declares as disposable templates or named disposables
    /// that exist, and the qubes dispo's index names.
    public func read(for desired: DesiredState) async throws(QubesError) -> QubesObservation {
        var observation = QubesObservation()
        observation.listed = try Self.parseList(try await client.call("admin.vm.List"))
        observation.global = try Self.parseProperties(try await client.call("admin.property.GetAll"))
        observation.dom0Features = try await features(of: "dom0", wanted: QubesVocabulary.readDom0Features).values
        let declared = Set(desired.disposableTemplates.keys).union(desired.namedDisposables.keys)
        let candidates = declared.union(observation.index).filter { name in
            guard let listed = observation.listed[name] else { return false }
            return listed.klass != "AdminVM"
        }
        observation.details = try await details(of: candidates.sorted())
        return observation
    }

    private func details(of names: [String]) async throws(QubesError) -> [String: QubesObservation.Details] {
        let reader = self
        let results = await withTaskGroup(of: (String, Result<QubesObservation.Details, QubesError>).self) { group in
            for name in names {
                group.addTask {
                    do throws(QubesError) {
                        return (name, .success(try await reader.details(of: name)))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var results: [(String, Result<QubesObservation.Details, QubesError>)] = []
            for await result in group { results.append(result) }
            return results
        }
        var details: [String: QubesObservation.Details] = [:]
        for (name, result) in results.sorted(by: { $0.0 < $1.0 }) { details[name] = try result.get() }
        return details
    }

    private func details(of name: String) async throws(QubesError) -> QubesObservation.Details {
        var details = QubesObservation.Details()
        details.properties = try Self.parseProperties(try await client.call("admin.vm.property.GetAll", name))
        details.tags = Set(Self.lines(try await client.call("admin.vm.tag.List", name)))
        (details.featureNames, details.features) = try await features(of: name, wanted: QubesVocabulary.readFeatures)
        return details
    }

    /// The names of the features `qube` has set, and the values of the `wanted` ones among them: one `List`, then
    /// one `Get` per wanted feature present.
    private func features(of qube: String, wanted: Set<String>) async throws(QubesError)
        -> (names: Set<String>, values: [String: String])
    {
        let names = Self.lines(try await client.call("admin.vm.feature.List", qube))
        var values: [String: String] = [:]
        for name in names where wanted.contains(name) {
            values[name] = try await client.call("admin.vm.feature.Get", qube, argument: name)
        }
        return (Set(names), values)
    }

    /// The `template` property of each of `disposables` (for status: which disposable template each came from).
    public func templates(of disposables: [String]) async throws(QubesError) -> [String: String] {
        var templates: [String: String] = [:]
        for name in disposables.sorted() {
            let reply = try await client.call("admin.vm.property.Get", name, argument: "template")
            let fields = reply.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            templates[name] = fields.count > 2 ? String(fields[2]) : ""
        }
        return templates
    }

    static func lines(_ body: String) -> [String] {
        body.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// `NAME class=CLASS state=STATE uuid=UUID` per line.
    static func parseList(_ body: String) throws(QubesError) -> [String: QubesObservation.Listed] {
        var listed: [String: QubesObservation.Listed] = [:]
        for line in lines(body) {
            let fields = line.split(separator: " ").map(String.init)
            guard let name = fields.first else { continue }
            var values: [String: String] = [:]
            for field in fields.dropFirst() {
                guard let equals = field.firstIndex(of: "=") else { continue }
                values[String(field[..<equals])] = String(field[field.index(after: equals)...])
            }
            guard let klass = values["class"], let state = values["state"] else {
                throw QubesError(.malformedReply, call: AdminCall("admin.vm.List"), "line without class/state: \(line)")
            }
            listed[name] = .init(name: name, klass: klass, state: state, uuid: values["uuid"] ?? "")
        }
        return listed
    }

    /// `NAME default=True|False type=TYPE VALUE` per line (VALUE may be empty or hold spaces).
    static func parseProperties(_ body: String) throws(QubesError) -> [String: QubesObservation.Property] {
        var properties: [String: QubesObservation.Property] = [:]
        for line in lines(body) {
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, fields[1].hasPrefix("default="), fields[2].hasPrefix("type=") else {
                throw QubesError(.malformedReply, call: AdminCall("admin.vm.property.GetAll"), "bad line: \(line)")
            }
            properties[fields[0]] = .init(
                value: fields.count > 3 ? fields[3] : "", isDefault: fields[1] == "default=True",
                type: String(fields[2].dropFirst(5)))
        }
        return properties
    }
}
