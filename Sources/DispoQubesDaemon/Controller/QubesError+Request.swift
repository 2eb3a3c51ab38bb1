import DispoEngine
import DispoQubes

extension RequestError {
    /// A Qubes request's failure as the socket API answers it: a bad target 400, a qube qubesd does not know 404,
    /// qubesd failing or unreachable 500. The message is the direct path's (`dispo request --host qubes`).
    init(request error: QubesError) {
        self.init(Self.code(error, refusal: .badRequest), error.description)
    }

    /// A Qubes release's failure: a qube that is not an unnamed disposable (or a preload still queued) 409.
    init(release error: QubesError) {
        self.init(Self.code(error, refusal: .notReleasable), error.description)
    }

    /// Reading qubesd failed (status, plan): 500.
    init(read error: QubesError) {
        self.init(.hostFailed, error.description)
    }

    /// `refusal`: the code for what dispo itself refuses before calling (``QubesError/Code/badRequest``,
    /// ``QubesError/Code/unsatisfiable``).
    private static func code(_ error: QubesError, refusal: Code) -> Code {
        if error.exceptionType == "QubesVMNotFoundError" { return .notFound }
        switch error.code {
        case .badRequest, .unsatisfiable, .notOwned: return refusal
        default: return .hostFailed
        }
    }
}
