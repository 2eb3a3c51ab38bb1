#if canImport(Glibc)
    import Glibc
#endif
// TEMPORARY tracing for the e2e measurement of the hand-out path.
public let traceEnabled = getenv("DISPO_TRACE") != nil
public func trace(_ label: String) {
    guard traceEnabled else { return }
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    let t = Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    let line = "TRACE \(t) \(label)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
