/// Encodes and decodes `[FeatureKey: Value]` as a JSON object keyed by the raw feature keys.
///
/// It goes through `[String: Value]`, which JSON coders special-case: the object keys are
/// written as they are and not passed through a key strategy, so `max_seats` survives a
/// `convertFromSnakeCase` decoder (a `CodingKeyRepresentable` key would come back as
/// `maxSeats`).
enum FeatureKeyedCoding {
    static func encode<Key: CodingKey, Value: Encodable>(
        _ map: [FeatureKey: Value],
        forKey key: Key,
        in container: inout KeyedEncodingContainer<Key>
    ) throws {
        var strings: [String: Value] = [:]
        strings.reserveCapacity(map.count)
        for (featureKey, value) in map {
            strings[featureKey.rawValue] = value
        }
        try container.encode(strings, forKey: key)
    }

    static func decode<Key: CodingKey, Value: Decodable>(
        _ type: Value.Type,
        forKey key: Key,
        in container: KeyedDecodingContainer<Key>
    ) throws -> [FeatureKey: Value] {
        let strings = try container.decode([String: Value].self, forKey: key)
        var map: [FeatureKey: Value] = [:]
        map.reserveCapacity(strings.count)
        for (string, value) in strings {
            guard let featureKey = FeatureKey(validating: string) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: container,
                    debugDescription: "invalid feature key \"\(string)\": expected lowercase dotted segments of [a-z0-9_], 1–100 characters"
                )
            }
            map[featureKey] = value
        }
        return map
    }
}
