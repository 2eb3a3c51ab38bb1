import FlyingSocks
import Foundation

/// The body of `GET /v1/events`: one JSON object and a newline per event, sent as each happens (the server
/// writes every line as its own chunk). Ends when the controller stops or the client goes away.
struct EventBody: AsyncBufferedSequence {
    typealias Element = UInt8
    let events: AsyncStream<ControllerEvent>

    func makeAsyncIterator() -> Iterator { Iterator(events: events.makeAsyncIterator()) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var events: AsyncStream<ControllerEvent>.Iterator
        var pending: [UInt8] = []
        let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()

        mutating func next() async throws -> UInt8? {
            guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
            return buffer.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            if pending.isEmpty {
                guard let event = await events.next() else { return nil }
                pending = Array((try? encoder.encode(event)) ?? Data()) + [0x0A]
            }
            let take = Swift.min(Swift.max(count, 1), pending.count)
            defer { pending.removeFirst(take) }
            return Array(pending.prefix(take))
        }
    }
}
