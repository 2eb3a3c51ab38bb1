import DispoEngine
import Foundation

/// The body of `POST /v1/host/suspend`: `{"timeout": SECONDS}`, optional (default ``defaultTimeout``), at most
/// ``maxTimeout``. Strict as ``RequestBody``: an unknown field or a timeout that is not a number is refused.
package struct SuspendBody: Codable, Sendable, Equatable {
    /// Seconds the controller may take to remove the preloads before it answers with those left.
    package var timeout: Double?

    /// What a suspend without a timeout may take: within Qubes' 60 s suspend timeout, with room for the hook.
    package static let defaultTimeout = 45.0
    package static let maxTimeout = 600.0

    package init(timeout: Double? = nil) {
        self.timeout = timeout
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: RequestBody.FieldKey.self)
        if let unknown = container.allKeys.first(where: { $0.stringValue != "timeout" }) {
            throw RequestError(
                .badRequest, "unknown field \"\(unknown.stringValue)\" in the request body; the field is timeout")
        }
        let key = RequestBody.FieldKey("timeout")
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return }
        guard let value = try? container.decode(Double.self, forKey: key) else {
            throw RequestError(.badRequest, "timeout must be a number of seconds")
        }
        timeout = value
    }

    /// The timeout a body asks for; an empty body is `{}`. Throws a ``RequestError`` (400) that says what is wrong.
    static func parse(_ data: Data) throws(RequestError) -> Double {
        guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return defaultTimeout }
        let body: SuspendBody
        do {
            body = try JSONDecoder().decode(SuspendBody.self, from: data)
        } catch let error as RequestError {
            throw error
        } catch {
            throw RequestError(.badRequest, "the request body must be a JSON object like {\"timeout\": 45}")
        }
        guard let timeout = body.timeout else { return defaultTimeout }
        guard timeout.isFinite, timeout > 0, timeout <= maxTimeout else {
            throw RequestError(.badRequest, "timeout must be more than 0 and at most \(Int(maxTimeout)) seconds")
        }
        return timeout
    }
}
