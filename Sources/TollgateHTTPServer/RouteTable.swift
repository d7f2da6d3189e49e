/// The routes as a tree of path segments, built once and then read without locks.
///
/// Matching rules (documented on ``Router``): literal segments win over `{name}` segments;
/// a `{name}` segment matches one non-empty segment; a trailing slash is significant;
/// HEAD is answered by the GET route when no HEAD route exists.
struct RouteTable: Sendable {
    private struct Node: Sendable {
        var literals: [Substring: Int] = [:]
        var parameter: Int?
        var routes: [HTTPMethod: Route] = [:]
    }

    private var nodes: [Node] = [Node()]
    /// Routes whose pattern has no `{name}` segment, by exact path: matched with one lookup before
    /// the tree walk (same answers — a literal route is what the walk would find first — but no
    /// path splitting on the hottest routes, such as the entitlement check).
    private var exact: [String: [HTTPMethod: Route]] = [:]
    private(set) var registered: [(method: HTTPMethod, pattern: String)] = []
    /// The fallbacks of path prefixes (``Router/registerFallback(prefix:_:)``).
    private var fallbacks: [String: Router.MissHandler] = [:]

    /// Parses `pattern` into segments; nil when it is not `/`-rooted or a `{…}` segment is malformed.
    static func segments(of pattern: String) -> [(literal: Substring?, parameter: String?)]? {
        guard pattern.first == "/" else { return nil }
        var result: [(literal: Substring?, parameter: String?)] = []
        for segment in pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if segment.first == "{" || segment.last == "}" || segment.contains("{") || segment.contains("}") {
                guard segment.count > 2, segment.first == "{", segment.last == "}" else { return nil }
                let name = segment.dropFirst().dropLast()
                guard !name.contains("{"), !name.contains("}") else { return nil }
                result.append((nil, String(name)))
            } else {
                result.append((segment, nil))
            }
        }
        return result
    }

    /// Adds a route; returns a description of the problem when the pattern is invalid or taken.
    mutating func insert(
        method: HTTPMethod, pattern: String, options: RouteOptions, handler: @escaping Router.Handler
    ) -> String? {
        guard let segments = Self.segments(of: pattern) else {
            return "invalid route pattern \(pattern): it must start with / and use whole {name} segments"
        }
        var index = 0
        var names: [String] = []
        for segment in segments {
            if let literal = segment.literal {
                if let next = nodes[index].literals[literal] {
                    index = next
                } else {
                    nodes.append(Node())
                    nodes[index].literals[literal] = nodes.count - 1
                    index = nodes.count - 1
                }
            } else if let name = segment.parameter {
                if names.contains(name) { return "route pattern \(pattern) repeats parameter \(name)" }
                names.append(name)
                if let next = nodes[index].parameter {
                    index = next
                } else {
                    nodes.append(Node())
                    nodes[index].parameter = nodes.count - 1
                    index = nodes.count - 1
                }
            }
        }
        if let existing = nodes[index].routes[method] {
            return "route \(method.rawValue) \(pattern) conflicts with \(method.rawValue) \(existing.pattern)"
        }
        let route = Route(method: method, pattern: pattern, options: options, handler: handler, parameterNames: names)
        nodes[index].routes[method] = route
        if names.isEmpty { exact[pattern, default: [:]][method] = route }
        registered.append((method, pattern))
        return nil
    }

    /// Adds the fallback of `prefix`; returns the problem when the prefix is malformed or taken.
    mutating func insertFallback(prefix: String, handler: @escaping Router.MissHandler) -> String? {
        guard prefix.first == "/", prefix.count > 1, prefix.last != "/" else {
            return "invalid fallback prefix \(prefix): it must start with / and not end with /"
        }
        guard fallbacks[prefix] == nil else { return "a fallback for \(prefix) is already registered" }
        fallbacks[prefix] = handler
        return nil
    }

    /// The fallback of the longest registered prefix of `path` (the prefix itself or `prefix/…`).
    func fallback(for path: String) -> Router.MissHandler? {
        var best: (length: Int, handler: Router.MissHandler)?
        for (prefix, handler) in fallbacks where path == prefix || path.hasPrefix(prefix + "/") {
            if prefix.count > (best?.length ?? 0) { best = (prefix.count, handler) }
        }
        return best?.handler
    }

    /// Finds the route for `method` (nil: a method no route can have) and `path`.
    func match(method: HTTPMethod?, path: String) -> RouteMatch {
        guard path.first == "/" else { return .notFound }
        if let routes = exact[path] {
            if let method, let route = routes[method] ?? (method == .HEAD ? routes[.GET] : nil) {
                return .matched(route, parameters: [:])
            }
            // A path some static route spells out is that route's alone: `GET /v1/outbox/purge` is a
            // 405 (Allow: POST), not `GET /v1/outbox/{id}` with id "purge".
            var allowed = Set(routes.keys)
            if allowed.contains(.GET) { allowed.insert(.HEAD) }
            return .methodNotAllowed(allowed: HTTPMethod.allCases.filter(allowed.contains))
        }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if let method {
            var values: [Substring] = []
            if let route = find(method, node: 0, segments: segments, at: 0, values: &values) {
                var parameters: [String: String] = [:]
                for (name, value) in zip(route.parameterNames, values) { parameters[name] = String(value) }
                return .matched(route, parameters: parameters)
            }
        }
        var allowed: Set<HTTPMethod> = []
        collectMethods(node: 0, segments: segments, at: 0, into: &allowed)
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.GET) { allowed.insert(.HEAD) }
        return .methodNotAllowed(allowed: HTTPMethod.allCases.filter(allowed.contains))
    }

    private static func route(in node: Node, for method: HTTPMethod) -> Route? {
        if let route = node.routes[method] { return route }
        if method == .HEAD { return node.routes[.GET] }
        return nil
    }

    /// Depth-first, literal children before the parameter child: the first route for `method`.
    private func find(
        _ method: HTTPMethod, node index: Int, segments: [Substring], at position: Int, values: inout [Substring]
    ) -> Route? {
        let node = nodes[index]
        guard position < segments.count else { return Self.route(in: node, for: method) }
        let segment = segments[position]
        if let next = node.literals[segment],
           let route = find(method, node: next, segments: segments, at: position + 1, values: &values) {
            return route
        }
        if let next = node.parameter, !segment.isEmpty {
            values.append(segment)
            if let route = find(method, node: next, segments: segments, at: position + 1, values: &values) { return route }
            values.removeLast()
        }
        return nil
    }

    /// Every method some route has for this path (for the 405's `Allow`).
    private func collectMethods(node index: Int, segments: [Substring], at position: Int, into allowed: inout Set<HTTPMethod>) {
        let node = nodes[index]
        guard position < segments.count else {
            allowed.formUnion(node.routes.keys)
            return
        }
        let segment = segments[position]
        if let next = node.literals[segment] {
            collectMethods(node: next, segments: segments, at: position + 1, into: &allowed)
        }
        if let next = node.parameter, !segment.isEmpty {
            collectMethods(node: next, segments: segments, at: position + 1, into: &allowed)
        }
    }
}
