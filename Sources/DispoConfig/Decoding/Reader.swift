import DispoYAML

/// Reads typed values out of nodes, collecting diagnostics.
struct Reader {
    let path: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Key comparisons left for "did you mean" in this file: thousands of unknown keys get hints for the
    /// first ones only, so that reading stays linear.
    var suggestionBudget = 20_000

    init(path: String) {
        self.path = path
    }

    mutating func error(_ message: String, at mark: Mark) {
        diagnostics.append(Diagnostic(path: path, line: mark.line, column: mark.column, severity: .error, message: message))
    }

    /// Reports the value of `node` as bad, at its position, naming its key path first (`memory: ...`; see
    /// ``Diagnostic/message(_:about:)``). Every error about a value goes through here.
    mutating func reject(_ node: Node, keyPath: String, _ message: String) {
        error(Diagnostic.message(message, about: keyPath), at: node.mark)
    }

    mutating func warning(_ message: String, at mark: Mark) {
        diagnostics.append(
            Diagnostic(path: path, line: mark.line, column: mark.column, severity: .warning, message: message))
    }

    /// The mapping's fields, or nil (with an error) when `node` is not a mapping; `keyPath` is nil for a document.
    mutating func fields(_ node: Node, keyPath: String?) -> Fields? {
        guard case .mapping(let pairs) = node.content else {
            if let keyPath {
                reject(node, keyPath: keyPath, "\(keyPath) must be a mapping, found \(describe(node))")
            } else {
                error("a document must be a mapping, found \(describe(node))", at: node.mark)
            }
            return nil
        }
        return Fields(node, keyPath: keyPath, pairs: pairs, reader: &self)
    }

    /// Reports a required key that is missing.
    mutating func missing(_ key: String, in fields: Fields, what: String) {
        error("missing required key \"\(key)\" in \(what)", at: fields.node.mark)
    }

    /// Any non-null scalar, as text.
    mutating func string(_ node: Node, keyPath: String) -> String? {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            reject(node, keyPath: keyPath, "\(keyPath) must be a string, found \(describe(node))")
            return nil
        }
        return text
    }

    /// An object name or a reference to one (see ``Names``).
    mutating func name(_ node: Node, keyPath: String) -> String? {
        guard let text = string(node, keyPath: keyPath) else { return nil }
        if let problem = Names.problem(with: text) {
            reject(node, keyPath: keyPath, problem)
            return nil
        }
        return text
    }

    /// An absolute path.
    mutating func absolutePath(_ node: Node, keyPath: String) -> String? {
        guard let text = string(node, keyPath: keyPath) else { return nil }
        guard text.hasPrefix("/") else {
            reject(node, keyPath: keyPath, "\(keyPath) must be an absolute path, found \"\(text)\"")
            return nil
        }
        return text
    }

    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, keyPath: String, as type: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(node, keyPath: keyPath) else { return nil }
        if let value = T(rawValue: text) { return value }
        let options = T.allCases.map(\.rawValue)
        reject(
            node, keyPath: keyPath,
            "\(keyPath) must be one of \(options.joined(separator: ", ")), found \"\(text)\""
                + Suggestion.hint(for: text, in: options))
        return nil
    }

    /// A plain decimal integer within `range`.
    mutating func integer(_ node: Node, keyPath: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let text, .plain) = node.content, node.tag == nil || node.tag == Tag.int,
            let value = Self.plainInteger(text)
        else {
            reject(node, keyPath: keyPath, "\(keyPath) must be an integer, found \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            reject(
                node, keyPath: keyPath,
                "\(keyPath) must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    /// A size: a plain integer of MiB or a string with a unit.
    mutating func size(_ node: Node, keyPath: String, allowZero: Bool) -> Size? {
        guard case .scalar(let text, let style) = node.content, !node.isNull else {
            reject(
                node, keyPath: keyPath,
                "\(keyPath) must be a size like 400 (MiB) or \"1.5GiB\", found \(describe(node))")
            return nil
        }
        let parsed: Result<Size, ValueError>
        if style == .plain, node.tag == nil || node.tag == Tag.int, let mib = Self.plainInteger(text) {
            parsed = mib < 0 ? .failure(ValueError("\(keyPath) cannot be negative, found \(text)"))
                : .success(.mebibytes(UInt64(mib)))
        } else if text.hasPrefix("-") {
            parsed = .failure(ValueError("\(keyPath) cannot be negative, found \"\(text)\""))
        } else {
            parsed = Size.parse(text)
        }
        switch parsed {
        case .success(let size):
            if !allowZero, size.kibibytes == 0 {
                reject(node, keyPath: keyPath, "\(keyPath) must be greater than zero")
                return nil
            }
            return size
        case .failure(let problem):
            reject(node, keyPath: keyPath, problem.message)
            return nil
        }
    }

    /// A duration: a plain number of seconds or a string with a unit.
    mutating func interval(_ node: Node, keyPath: String, allowNegative: Bool, allowZero: Bool = true) -> Interval? {
        guard case .scalar(let text, let style) = node.content, !node.isNull else {
            reject(node, keyPath: keyPath, "\(keyPath) must be a duration like 3s or 500ms, found \(describe(node))")
            return nil
        }
        switch Interval.parse(text, unitRequired: style != .plain) {
        case .success(let interval):
            if interval.isNegative, !allowNegative {
                reject(
                    node, keyPath: keyPath, "\(keyPath) cannot be negative (only preload.delay may be), found \(text)")
                return nil
            }
            if !allowZero, interval.milliseconds == 0 {
                reject(node, keyPath: keyPath, "\(keyPath) must be greater than zero")
                return nil
            }
            return interval
        case .failure(let problem):
            reject(node, keyPath: keyPath, problem.message)
            return nil
        }
    }

    /// A list, or nil (with an error).
    mutating func list(_ node: Node, keyPath: String) -> [Node]? {
        guard case .sequence(let items) = node.content else {
            reject(node, keyPath: keyPath, "\(keyPath) must be a list, found \(describe(node))")
            return nil
        }
        return items
    }

    /// A short description of what a node holds, for "found ..." messages.
    func describe(_ node: Node) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let style):
            if node.isNull { return "nothing (null)" }
            if style == .plain { return "\(text)" }
            return "the string \"\(text)\""
        }
    }

    static func plainInteger(_ text: String) -> Int? {
        var digits = Substring(text).utf8
        if digits.first == UInt8(ascii: "+") || digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(isASCIIDigit) else { return nil }
        return Int(text.first == "+" ? String(text.dropFirst()) : text)
    }
}
