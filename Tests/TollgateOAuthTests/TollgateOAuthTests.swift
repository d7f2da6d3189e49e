import Testing
@testable import TollgateOAuth
