/// A provider definition that failed validation. The description names the provider and the field
/// at fault, never a secret's value.
package struct OAuthConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The provider's name; nil for an error about the file as a whole.
    package var provider: String?
    /// The JSON field at fault (`token_url`), when there is one.
    package var field: String?
    package var message: String

    package init(provider: String? = nil, field: String? = nil, message: String) {
        self.provider = provider
        self.field = field
        self.message = message
    }

    package var description: String {
        switch (provider, field) {
        case (let provider?, let field?): "provider \(provider): \(field): \(message)"
        case (let provider?, nil): "provider \(provider): \(message)"
        case (nil, let field?): "\(field): \(message)"
        case (nil, nil): message
        }
    }
}
