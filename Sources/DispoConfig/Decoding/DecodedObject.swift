/// One decoded document.
enum DecodedObject {
    case template(Template)
    case disposableTemplate(DisposableTemplate)
    case namedDisposable(NamedDisposable)
    case system(SystemSettings)

    var key: ObjectKey {
        switch self {
        case .template(let value): return ObjectKey(.template, value.name)
        case .disposableTemplate(let value): return ObjectKey(.disposableTemplate, value.name)
        case .namedDisposable(let value): return ObjectKey(.namedDisposable, value.name)
        case .system: return ObjectKey(.system, "")
        }
    }
}
