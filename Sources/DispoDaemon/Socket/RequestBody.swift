import DispoEngine
import FlyingFox
import Foundation

/// The body of `POST /v1/disposables`: `{"target": "...", "source": "..."}`, both optional. Decoding is strict:
/// an unknown field or a value that is not a string (or null) is refused, so a typo never means `@dispvm`.
package struct RequestBody: Codable, Sendable, Equatable {
    /// `NAME`, `@dispvm`, `@dispvm:NAME` or `@dispvm:@tag:TAG`; missing or empty: `@dispvm`.
    package var target: String?
    /// The qube asking, for `@dispvm` (a disposable's own disposable template).
    package var source: String?

    /// The largest body accepted (64 KiB); a longer one is refused with 413 before it is read.
    package static let maxBytes = 64 * 1024
    static let fields = ["target", "source"]

    package init(target: String? = nil, source: String? = nil) {
        self.target = target
        self.source = source
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        if let unknown = container.allKeys.first(where: { !Self.fields.contains($0.stringValue) }) {
            throw RequestError(
                .badRequest,
                "unknown field \"\(unknown.stringValue)\" in the request body; the fields are target and source")
        }
        target = try Self.string(container, "target")
        source = try Self.string(container, "source")
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encodeIfPresent(target, forKey: FieldKey("target"))
        try container.encodeIfPresent(source, forKey: FieldKey("source"))
    }

    /// Parses a body; an empty one is `{}`. Throws a ``RequestError`` (400) that says what is wrong.
    static func parse(_ data: Data) throws(RequestError) -> RequestBody {
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return RequestBody() }
        do {
            return try JSONDecoder().decode(RequestBody.self, from: data)
        } catch let error as RequestError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw RequestError(.badRequest, "the request body must be a JSON object like {\"target\": \"@dispvm\"}")
        } catch {
            throw RequestError(
                .badRequest,
                "the request body is not valid JSON; send an object like {\"target\": \"@dispvm\"}")
        }
    }

    private static func string(_ container: KeyedDecodingContainer<FieldKey>, _ name: String) throws -> String? {
        let key = FieldKey(name)
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        guard let value = try? container.decode(String.self, forKey: key) else {
            throw RequestError(.badRequest, "\(name) must be a string")
        }
        return value
    }

    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ name: String) {
            stringValue = name
        }

        init?(stringValue: String) {
            self.stringValue = stringValue
        }

        init?(intValue: Int) {
            nil
        }
    }
}

extension RequestBody {
    /// Reads a request's body, refusing one longer than ``maxBytes`` without reading it when Content-Length says
    /// so, and as soon as it passes the limit otherwise (chunked).
    static func read(_ request: HTTPRequest) async throws(APIFailure) -> Data {
        let tooLarge = APIFailure(
            .payloadTooLarge,
            "the request body is larger than \(maxBytes / 1024) KiB; send only {\"target\": ..., \"source\": ...}")
        if let count = request.bodySequence.count, count > maxBytes { throw tooLarge }
        var data = Data()
        do {
            for try await chunk in request.bodySequence {
                data.append(chunk)
                if data.count > maxBytes { throw tooLarge }
            }
        } catch let failure as APIFailure {
            throw failure
        } catch {
            throw APIFailure(.badRequest, "cannot read the request body: \(error)")
        }
        return data
    }
}
