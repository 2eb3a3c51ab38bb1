import ArgumentParser
import DispoCommands

/// Entry point of the `dispo` executable.
@main
enum DispoMain {
    static func main() async {
        await Dispo.main(nil)
    }
}
