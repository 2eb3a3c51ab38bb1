import DispoTestKit
import DispoWatch
import Foundation
import Testing

extension WatchTests {
    /// An idle watcher sleeps in the kernel: no CPU, no wake-ups (the daemon's idle benchmark wants < 0.1 s/min).
    struct IdleCost {
        /// Seconds to stay idle; `DISPO_WATCH_IDLE_SECONDS` lengthens it for a measurement.
        static let seconds = Int(ProcessInfo.processInfo.environment["DISPO_WATCH_IDLE_SECONDS"] ?? "") ?? 2

        @Test func idleWatcherThreadSleeps() async throws {
            // The watcher also watches the config directory's parent (to see it replaced): give it a private
            // parent, so that other tests' files in the shared temporary directory do not wake it.
            let dir = try TemporaryDirectory(["dispo/a.yaml": "a", "dispo/sub/b.yaml": "b", "dispo/sub/deeper/c.yaml": "c"])
            let probe = await WatchProbe(dir.path + "/dispo")
            // Let the start settle (and an earlier test's watcher thread end) before counting: on a loaded
            // machine the first walk and its debounce can take longer than any fixed pause.
            let thread = try #require(await ThreadUsage.settled(named: "dispo-watch"), "no idle thread dispo-watch")
            let before = try #require(ThreadUsage.read(thread))
            let ticks = await probe.ticks(during: .seconds(Self.seconds))
            let after = try #require(ThreadUsage.read(thread))
            let cpu = after.cpuSeconds - before.cpuSeconds
            let wakeups = after.switches - before.switches
            print("idle \(Self.seconds) s: watcher thread cpu \(cpu) s, context switches \(wakeups)")
            #expect(ticks.isEmpty)
            #expect(cpu <= 0.02)
            #expect(wakeups <= 2)
        }
    }
}

/// CPU time and context switches of one thread of this process, from /proc/self/task.
struct ThreadUsage {
    var cpuSeconds: Double
    var switches: Int

    /// The newest thread of this process named `name` (thread ids grow: an older one may still be ending).
    static func find(named name: String) -> String? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            Files.read("/proc/self/task/\(task)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.max { (Int($0) ?? 0) < (Int($1) ?? 0) }
    }

    /// The newest thread named `name` once its voluntary switches have stopped moving for 300 ms (at most 10 s).
    static func settled(named name: String) async -> String? {
        var last: (task: String, switches: Int)?
        for _ in 0..<100 {
            try? await Task.sleep(for: .milliseconds(100))
            guard let task = find(named: name), let usage = read(task) else { continue }
            if let previous = last, previous.task == task, previous.switches == usage.switches {
                try? await Task.sleep(for: .milliseconds(200))
                if read(task)?.switches == usage.switches { return task }
            }
            last = (task, usage.switches)
        }
        return nil
    }

    static func read(_ task: String) -> ThreadUsage? {
        guard let stat = Files.read("/proc/self/task/\(task)/stat"),
            let status = Files.read("/proc/self/task/\(task)/status"),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        // Voluntary switches only: a thread asleep in poll(2) wakes only for a cue; preemption is the machine's load.
        let switches = status.split(separator: "\n").filter { $0.hasPrefix("voluntary_ctxt_switches") }
            .compactMap { Int($0.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") }
            .reduce(0, +)
        return ThreadUsage(cpuSeconds: (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))), switches: switches)
    }
}
