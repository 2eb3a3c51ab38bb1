import DispoEngine
import FlyingFox

extension RequestError.Code {
    /// The HTTP status the socket API answers a refusal with this code with.
    var httpStatus: HTTPStatusCode {
        switch self {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .notReleasable: .conflict
        case .alreadyReleased: .gone
        case .shuttingDown, .unavailable: .serviceUnavailable
        case .hostFailed: .internalServerError
        case .notSupported: .notImplemented
        default: .internalServerError  // a code added later answers as a host failure until it is mapped
        }
    }
}
