import DispoConfig
import DispoEngine
import DispoHost

// Times Planner.plan for 100, 1,000 and 10,000 declared objects against a host of matching size
// (every disposable template with a full queue of up-to-date preloads, every named disposable running,
// one preload in three outdated so that refresh and refill work too), and prints the median time,
// the time per declared object and the growth ratio t(10k)/t(1k).
//
// usage: PlanTimer [--iterations N]

var iterations = 15
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--iterations", let value = arguments.popFirst().flatMap({ Int($0) }) { iterations = value }
}

/// A config of `objects` objects: 10% templates, 60% disposable templates (max 2), 30% named disposables.
func scene(objects: Int) -> PlanInput {
    var desired = DesiredState()
    let templates = max(1, objects / 10)
    let dvms = objects * 6 / 10
    let named = objects - templates - dvms
    for index in 0..<templates {
        desired.templates["tpl\(index)"] = Template(name: "tpl\(index)", kernel: "/boot/k\(index)", revision: .fixed("1"))
    }
    for index in 0..<dvms {
        desired.disposableTemplates["dvm\(index)"] = DisposableTemplate(
            name: "dvm\(index)", template: "tpl\(index % templates)",
            settings: DisposableSettings(memory: .mebibytes(400)), preload: .init(max: 2))
    }
    for index in 0..<named {
        desired.namedDisposables["sys\(index)"] = NamedDisposable(
            name: "sys\(index)", template: "dvm\(index % max(dvms, 1))", state: .running)
    }
    let revisions = Revisions.compute(desired) { _ in "" }
    var domains: [Domain] = []
    var domid = 1
    func add(_ name: String, _ power: PowerState, _ metadata: [String: String]) {
        domains.append(Domain(name: name, uuid: "u\(domid)", domid: domid, power: power, memory: .mebibytes(400),
            maxmem: .mebibytes(4000), metadata: metadata))
        domid += 1
    }
    for index in 0..<dvms {
        let name = "dvm\(index)"
        for slot in 0..<2 {
            let outdated = (index + slot) % 3 == 0
            add("disp\(domid)", .paused, [
                "owner": "dispo", "role": "preload", "template": name, "stage": "paused",
                "revision": outdated ? "old" : revisions.disposableTemplates[name] ?? "", "created": String(domid),
                "dispid": String(domid),
            ])
        }
    }
    for index in 0..<named {
        let name = "sys\(index)"
        add(name, .running, [
            "owner": "dispo", "role": "named", "template": "dvm\(index % max(dvms, 1))", "stage": "ready",
            "revision": revisions.namedDisposables[name] ?? "", "created": "1",
        ])
    }
    let snapshot = HostSnapshot(domains: domains, freeMemory: .mebibytes(64 * 1024 * 1024),
        totalMemory: .mebibytes(64 * 1024 * 1024))
    return PlanInput(desired: desired, revisions: revisions, snapshot: snapshot, now: 1_000_000)
}

let clock = ContinuousClock()
var medians: [Int: Double] = [:]
print("planner: median of \(iterations) runs per size")
for objects in (CommandLine.arguments.contains("--sweep") ? [1_000, 2_000, 5_000, 10_000, 20_000, 40_000] : [100, 1_000, 10_000]) {
    let input = scene(objects: objects)
    var samples: [Double] = []
    var actions = 0
    for _ in 0..<iterations {
        let start = clock.now
        let plan = Planner.plan(input)
        let elapsed = clock.now - start
        actions = plan.actions.count
        samples.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
    }
    samples.sort()
    let median = samples[samples.count / 2]
    medians[objects] = median
    let perObject = median * 1000 / Double(objects)
    print(
        "  \(objects) objects, \(input.snapshot.domains.count) domains: \(String(format3(median))) ms"
            + "  (\(String(format3(perObject))) µs/object, \(actions) actions)")
}
if let small = medians[1_000], let large = medians[10_000], small > 0 {
    print("growth t(10k)/t(1k) = \(format3(large / small)) (linear = 10)")
}

func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}
