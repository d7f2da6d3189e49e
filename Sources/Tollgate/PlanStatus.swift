/// The lifecycle of a plan in the catalog.
public enum PlanStatus: String, Codable, Sendable, CaseIterable {
    /// Being prepared; not offered.
    case draft
    /// Offered to customers.
    case active
    /// No longer offered; existing subscriptions keep it.
    case archived
}
