import TollgateBase

/// Request parameters for the Stripe API, encoded as its official SDKs encode them.
///
/// Keys keep the order they were written in (as a Python dict does), so an encoding is
/// deterministic and matches stripe-python's byte for byte:
///
/// * a nested object becomes bracketed keys: `metadata[plan]=pro`;
/// * a list becomes indexed keys, also for scalars: `expand[0]=data.customer`,
///   `items[0][price]=price_1`, `items[0][quantity]=2` (stripe-python `_api_encode`);
/// * `true`/`false` for booleans, decimal digits for integers;
/// * ``Value/null`` and empty lists or objects send nothing (Python `None`), while an empty string
///   sends `key=` (which is how Stripe unsets a field, e.g. one metadata key);
/// * then `application/x-www-form-urlencoded` with Python's `urlencode` rules (`quote_plus`:
///   letters, digits and `_.-~` stay, a space is `+`, every other byte of the UTF-8 is `%XX`),
///   after which stripe-python turns `%5B`/`%5D` back into `[`/`]` for readability; so does this.
///
/// ```swift
/// let form: StripeForm = ["email": "a@example.com", "metadata": ["tollgate_id": "org_1"], "expand": ["sources"]]
/// form.encoded  // email=a%40example.com&metadata[tollgate_id]=org_1&expand[0]=sources
/// ```
package struct StripeForm: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// One parameter value.
    package indirect enum Value: Sendable, Equatable, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral,
        ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
    {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case list([Value])
        case object(StripeForm)
        /// Sends nothing (stripe-python skips `None`).
        case null

        package init(stringLiteral value: String) { self = .string(value) }
        package init(stringInterpolation: DefaultStringInterpolation) { self = .string(String(stringInterpolation: stringInterpolation)) }
        package init(integerLiteral value: Int) { self = .integer(value) }
        package init(booleanLiteral value: Bool) { self = .bool(value) }
        package init(arrayLiteral elements: Value...) { self = .list(elements) }
        package init(dictionaryLiteral elements: (String, Value)...) { self = .object(StripeForm(elements)) }
        package init(nilLiteral: ()) { self = .null }
    }

    /// One top-level parameter.
    package struct Field: Sendable, Equatable {
        package var key: String
        package var value: Value
    }

    package private(set) var fields: [Field]

    package init() { fields = [] }

    package init(dictionaryLiteral elements: (String, Value)...) { self.init(elements) }

    package init(_ elements: [(String, Value)]) {
        fields = elements.map { Field(key: $0.0, value: $0.1) }
    }

    /// Sets `key` (replacing an earlier value in place, else appending).
    package subscript(key: String) -> Value? {
        get { fields.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                fields.removeAll { $0.key == key }
                return
            }
            if let index = fields.firstIndex(where: { $0.key == key }) {
                fields[index].value = newValue
            } else {
                fields.append(Field(key: key, value: newValue))
            }
        }
    }

    package var isEmpty: Bool { pairs.isEmpty }

    /// The flattened `key=value` pairs before percent-encoding, in order.
    package var pairs: [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for field in fields { Self.flatten(field.value, key: field.key, into: &out) }
        return out
    }

    /// The `application/x-www-form-urlencoded` text: a POST body or a GET query string.
    package var encoded: String {
        pairs.map { Self.percentEncode($0.key) + "=" + Self.percentEncode($0.value) }.joined(separator: "&")
    }

    private static func flatten(_ value: Value, key: String, into out: inout [(key: String, value: String)]) {
        switch value {
        case .null: break
        case .string(let text): out.append((key, text))
        case .integer(let number): out.append((key, String(number)))
        case .bool(let flag): out.append((key, flag ? "true" : "false"))
        case .list(let items):
            for (index, item) in items.enumerated() { flatten(item, key: "\(key)[\(index)]", into: &out) }
        case .object(let form):
            for field in form.fields { flatten(field.value, key: "\(key)[\(field.key)]", into: &out) }
        }
    }

    /// Python's `quote_plus(text, safe="")`, then `[` and `]` left as they are.
    static func percentEncode(_ text: String) -> String {
        PercentEncoding.encode(text, keeping: .stripeForm)
    }
}
