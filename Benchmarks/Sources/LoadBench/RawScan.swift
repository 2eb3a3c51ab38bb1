import CYAMLBench
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The floor: libyaml's event scan of the same files, with no tree and no checks.
public enum RawScan {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads each file and pulls every event up to STREAM_END; returns the number of events.
    public static func scan(_ files: [String]) throws -> Int {
        var events = 0
        for path in files {
            let bytes = try readBytes(path)
            events += try scan(bytes: bytes, path: path)
        }
        return events
    }

    static func scan(bytes: [UInt8], path: String) throws -> Int {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else { throw Failure(description: "\(path): out of memory") }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var events = 0
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "parse error"
                    throw Failure(description: "\(path):\(parser.problem_mark.line + 1): \(problem)")
                }
                let type = event.type
                yaml_event_delete(&event)
                events += 1
                if type == YAML_STREAM_END_EVENT { return events }
            }
        }
    }
}

/// Reads a whole file with open/fstat/read.
public func readBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw RawScan.Failure(description: "\(path): cannot open (errno \(errno))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw RawScan.Failure(description: "\(path): cannot stat (errno \(errno))") }
    let size = Int(info.st_size)
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var done = 0
        while done < size {
            let got = read(fd, buffer.baseAddress! + done, size - done)
            if got <= 0 { break }
            done += got
        }
        count = done
    }
    guard bytes.count == size else { throw RawScan.Failure(description: "\(path): short read") }
    return bytes
}
