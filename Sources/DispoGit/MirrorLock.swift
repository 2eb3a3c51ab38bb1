import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file beside the mirror, so that two dispo processes (the controller and a
/// `diff --ref`) never fetch into one mirror at once. Released on ``release()`` or when the process ends.
struct MirrorLock: Sendable {
    private let descriptor: Int32

    /// Waits (polling every 50 ms, never blocking a thread) at most `timeout` seconds for the lock.
    static func acquire(_ path: String, timeout: Double) async throws(SourceProblem) -> MirrorLock {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SourceProblem("cannot open the lock \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(descriptor)
                throw SourceProblem("another dispo process holds \(path) (waited \(describeSeconds(timeout)))")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return MirrorLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
