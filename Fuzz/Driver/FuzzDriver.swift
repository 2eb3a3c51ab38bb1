import DispoFuzzTargets
import Foundation

#if FUZZING
    /// libFuzzer's driver, run from our own entry point: SwiftPM links executables with their `main` renamed, so
    /// libFuzzer's `main` cannot be the entry point (`LLVMFuzzerRunDriver`, LLVM 12 and later).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// Built by `make fuzz` with `-sanitize=fuzzer,address -DFUZZING`; the target is `$DISPO_FUZZ_TARGET`
    /// (config, request or sim-state), the arguments are libFuzzer's.
    @main
    struct FuzzMain {
        nonisolated(unsafe) static var target = FuzzTarget.config

        static func main() {
            let name = ProcessInfo.processInfo.environment["DISPO_FUZZ_TARGET"] ?? ""
            guard let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("set DISPO_FUZZ_TARGET to one of \(names)\n".utf8))
                exit(2)
            }
            Self.target = target
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
        }
    }

    /// One input (libFuzzer's libraries reference this name even when the driver is given the callback).
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        FuzzMain.target.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#else
    /// Without libFuzzer: `dispo-fuzz TARGET FILE...` runs each file through the target once (a finding's replay).
    @main
    struct FuzzReplay {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                print("usage: dispo-fuzz \(names) FILE...  (make fuzz runs the targets under libFuzzer)")
                exit(2)
            }
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("\(path): cannot read")
                    exit(1)
                }
                print("\(path): \(target.run(Array(data)))")
            }
        }
    }
#endif
