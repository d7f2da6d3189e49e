/// What kind of entitlement a feature carries.
public enum FeatureKind: String, Codable, Sendable, CaseIterable {
    /// On or off, such as `integrations.github`.
    case boolean
    /// A static number, such as seats or projects: a check asks whether a total fits.
    case limit
    /// Usage counted against a quota that resets (see ``ResetPeriod``), such as `api.requests`.
    case metered
}
