import DispoEngine
import FlyingFox
import Testing

@testable import DispoDaemon

/// The socket API answers each refusal code with its HTTP status; the engine knows only the codes.
struct RequestStatusTests {
    static let statuses: [(RequestError.Code, Int)] = [
        (.badRequest, 400), (.notFound, 404), (.notReleasable, 409), (.alreadyReleased, 410),
        (.shuttingDown, 503), (.unavailable, 503), (.hostFailed, 500), (.notSupported, 501),
    ]

    @Test(arguments: statuses)
    func eachCodeHasItsStatus(_ code: RequestError.Code, _ status: Int) {
        #expect(code.httpStatus.code == status, "\(code.name)")
        let failure = APIFailure(RequestError(code, "why"))
        #expect(failure.status.code == status, "\(code.name)")
        #expect(failure.message == "why")
    }
}
