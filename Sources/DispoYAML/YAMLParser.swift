internal import CYAML

/// Parses YAML text into ``Node`` trees with libyaml's event API, within ``ParseLimits``.
///
/// Anchors and aliases are expanded (bounded by `maxAliasNodes`), merge keys (`<<`) are applied,
/// and duplicate keys are reported as problems. Empty documents (a bare `---`) are dropped.
package struct YAMLParser: Sendable {
    package var limits: ParseLimits

    package init(limits: ParseLimits = .standard) {
        self.limits = limits
    }

    /// Parses every document of `bytes`.
    package func parse(_ bytes: [UInt8]) throws(YAMLError) -> ParsedYAML {
        if bytes.count > limits.maxBytes {
            throw YAMLError(
                "file is \(bytes.count) bytes, more than the limit of \(limits.maxBytes) bytes",
                at: Mark(line: 1, column: 1))
        }
        var builder = TreeBuilder(limits: limits)
        let outcome: Result<Void, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) != 0 else {
                return .failure(YAMLError("libyaml could not allocate a parser", at: Mark(line: 1, column: 1)))
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(parser, &event) != 0 else {
                    return .failure(Self.error(of: parser.pointee, in: buffer))
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return .success(()) }
                do throws(YAMLError) {
                    try builder.consume(event)
                } catch {
                    return .failure(error)
                }
            }
        }
        try outcome.get()
        return ParsedYAML(documents: builder.documents, problems: builder.problems)
    }

    /// Converts libyaml's error state into a ``YAMLError`` with a 1-based position.
    private static func error(of parser: yaml_parser_t, in buffer: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        if parser.error == YAML_READER_ERROR {
            let mark = Self.mark(atByteOffset: parser.problem_offset, in: buffer)
            let detail = problem == "invalid leading UTF-8 octet" || problem == "invalid trailing UTF-8 octet"
                || problem == "incomplete UTF-8 octet sequence" ? "not valid UTF-8 (\(problem))" : problem
            return YAMLError(detail, at: mark)
        }
        var message = problem
        if let context = parser.context {
            let contextMark = Mark(parser.context_mark)
            message += " (\(String(cString: context)) at line \(contextMark.line) column \(contextMark.column))"
        }
        if problem == "found character that cannot start any token",
            let offset = byteOffset(of: Mark(parser.problem_mark), in: buffer), buffer[offset] == 0x09
        {
            message = "found a tab character; YAML indentation must use spaces"
        }
        return YAMLError(message, at: Mark(parser.problem_mark))
    }

    /// The byte offset of a 1-based line and character column (libyaml's marks count characters).
    private static func byteOffset(of mark: Mark, in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var line = 1
        var offset = 0
        while line < mark.line, offset < buffer.count {
            if buffer[offset] == 0x0A { line += 1 }
            offset += 1
        }
        var column = 1
        while column < mark.column, offset < buffer.count {
            offset += 1
            while offset < buffer.count, buffer[offset] & 0xC0 == 0x80 { offset += 1 }
            column += 1
        }
        return offset < buffer.count ? offset : nil
    }

    private static func mark(atByteOffset offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Mark {
        var line = 1
        var column = 1
        for byte in buffer.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }
}

extension Mark {
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}
