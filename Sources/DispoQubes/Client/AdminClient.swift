import Synchronization

/// The Admin API client: one call per connection, replies decoded into values or ``QubesError``s, every call
/// counted (and optionally recorded, for the transcripts the unit tests replay).
public final class AdminClient: Sendable {
    public let transport: any AdminTransport
    private let counter = Mutex<[String: Int]>([:])
    private let recorder: Mutex<[TranscriptEntry]>?

    public init(transport: any AdminTransport, recording: Bool = false) {
        self.transport = transport
        self.recorder = recording ? Mutex([]) : nil
    }

    public convenience init(socketPath: String = UnixSocketTransport.defaultPath) {
        self.init(transport: UnixSocketTransport(path: socketPath))
    }

    /// Makes the call; the body of an OK reply as UTF-8 text. qubesd's exception is ``QubesError/Code/refused``
    /// carrying its type and message.
    public func call(_ call: AdminCall) async throws(QubesError) -> String {
        if let problem = call.problem { throw QubesError(.badRequest, call: call, problem) }
        counter.withLock { $0[call.method, default: 0] += 1 }
        let bytes = try await transport.exchange(call.frame)
        recorder?.withLock { $0.append(TranscriptEntry(request: call.frame, reply: bytes)) }
        switch try AdminReply.decode(bytes, call: call) {
        case .ok(let body):
            return String(decoding: body, as: UTF8.self)
        case .exception(let type, let message):
            throw QubesError(.refused, call: call, exceptionType: type, message)
        }
    }

    public func call(
        _ method: String, _ destination: String = "dom0", argument: String = "", payload: String = ""
    ) async throws(QubesError) -> String {
        try await call(AdminCall(method, destination, argument: argument, payload: payload))
    }

    /// `admin.Events` on `destination` (dom0: all qubes), parsed; ends when qubesd closes or the consumer stops.
    public func events(_ destination: String = "dom0") -> AsyncThrowingStream<AdminEvent, any Error> {
        counter.withLock { $0["admin.Events", default: 0] += 1 }
        let bytes = transport.stream(AdminCall("admin.Events", destination).frame)
        return AsyncThrowingStream { continuation in
            let task = Task {
                var parser = AdminEventParser()
                do {
                    for try await chunk in bytes {
                        for event in try parser.feed(chunk) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Calls made so far, per method.
    public var calls: [String: Int] { counter.withLock { $0 } }
    /// Calls made so far.
    public var callCount: Int { counter.withLock { $0.values.reduce(0, +) } }
    /// Forgets the counts (to measure one command's share).
    public func resetCounts() { counter.withLock { $0 = [:] } }
    /// What was sent and answered, in order, when made with `recording: true`.
    public var transcript: [TranscriptEntry] { recorder?.withLock { $0 } ?? [] }
}
