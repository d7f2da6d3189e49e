// swift-tools-version: 6.0
// Tollgate: billing, entitlements and integrations service.
// No package dependencies (the owner's rule): the toolchain plus five system C libraries.
import PackageDescription

let package = Package(
    name: "Tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tollgate", targets: ["Tollgate"]),
        .library(name: "TollgateClient", targets: ["TollgateClient"]),
        .executable(name: "tollgate", targets: ["tollgate"]),
    ],
    targets: [
        // MARK: System C libraries (Debian package named as the apt provider).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        // Typed wrappers for the variadic and macro C APIs, one target per C library.
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        .target(name: "CMicroHTTPDShims", dependencies: ["CMicroHTTPD"]),
        .target(name: "CSQLiteShims", dependencies: ["CSQLite"]),

        // MARK: The pure library and its client.
        .target(name: "Tollgate", dependencies: ["TollgateBase"]),
        .target(name: "TollgateClient", dependencies: ["Tollgate", "TollgateBase", "TollgateWire"]),
        // The wire: JSON conventions, the list envelope's and the error body's shapes, the failure vocabulary.
        .target(name: "TollgateWire"),

        // MARK: Infrastructure.
        // The primitives several modules need, written once (Duration units, percent-encoding).
        .target(name: "TollgateBase"),
        .target(name: "TollgateLogging"),
        .target(name: "TollgateCrypto", dependencies: ["COpenSSL"]),
        .target(name: "TollgateStore", dependencies: ["CSQLite", "CLibPQ", "CSQLiteShims", "TollgateBase", "TollgateCrypto", "TollgateLogging", "TollgateWire"]),
        .target(name: "TollgateHTTPServer", dependencies: ["CMicroHTTPD", "CMicroHTTPDShims", "TollgateBase", "TollgateLogging", "TollgateWire"]),
        .target(name: "TollgateHTTPClient", dependencies: ["CCurl", "CCurlShims", "TollgateBase", "TollgateLogging"]),
        .target(name: "TollgateMail", dependencies: ["TollgateHTTPClient", "TollgateLogging"]),
        .target(name: "TollgateStripe", dependencies: ["Tollgate", "TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging", "TollgateWire"]),
        .target(name: "TollgateOAuth", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging"]),

        // MARK: The service, by concern.
        // The domain the others build on: keys, customers, catalog, subscriptions, grants, usage, rate limits, idempotency.
        .target(name: "TollgateEntitlements", dependencies: ["Tollgate", "TollgateBase", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateWire"]),
        .target(
            name: "TollgateOutbox",
            dependencies: ["TollgateEntitlements", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail", "TollgateWire"]),
        .target(
            name: "TollgateBilling",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail", "TollgateStripe", "TollgateWire"]),
        .target(
            name: "TollgateIntegrations",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateHTTPClient", "TollgateLogging", "TollgateMail", "TollgateOAuth", "TollgateWire"]),
        // The composition root: configuration, `Services`, the workers built from it.
        .target(
            name: "TollgateCore",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateStripe", "TollgateMail", "TollgateOAuth"]),
        .target(name: "TollgateAPI", dependencies: ["TollgateCore", "TollgateHTTPServer", "TollgateWire", "Tollgate", "TollgateBilling", "TollgateCrypto", "TollgateEntitlements", "TollgateIntegrations", "TollgateLogging", "TollgateOutbox", "TollgateStore"]),
        .target(name: "TollgateCLI", dependencies: ["TollgateAPI", "TollgateCore", "TollgateStore", "TollgateLogging", "TollgateStripe", "TollgateMail", "TollgateWire", "Tollgate", "TollgateBilling", "TollgateEntitlements", "TollgateIntegrations", "TollgateOutbox"]),
        .executableTarget(name: "tollgate", dependencies: ["TollgateCLI"]),
        .executableTarget(name: "tollgate-bench-ratelimit", dependencies: ["Tollgate", "TollgateCore", "TollgateStore", "TollgateEntitlements"],
                          path: "Sources/TollgateBenchRateLimit"),
        .executableTarget(name: "tollgate-bench-check", dependencies: ["Tollgate", "TollgateBase"], path: "Sources/TollgateBenchCheck"),
        .executableTarget(
            name: "tollgate-bench-webhooks", dependencies: ["TollgateAPI", "TollgateBase", "TollgateCore", "TollgateStripe", "TollgateStore", "TollgateTestSupport", "TollgateBilling", "TollgateEntitlements", "TollgateLogging"],
            path: "Sources/TollgateBenchWebhooks"),
        .executableTarget(
            name: "tollgate-bench-outbox", dependencies: ["TollgateBase", "TollgateCore", "TollgateMail", "TollgateStore", "TollgateTestSupport", "TollgateLogging", "TollgateOutbox"],
            path: "Sources/TollgateBenchOutbox"),

        // MARK: Tests.
        .target(
            name: "TollgateTestSupport", dependencies: ["TollgateStore", "TollgateLogging", "TollgateHTTPServer", "TollgateStripe", "TollgateHTTPClient", "TollgateCrypto",
                           "TollgateOAuth"],
            path: "Tests/TollgateTestSupport"),
        .testTarget(name: "TollgateTests", dependencies: ["Tollgate", "TollgateWire"]),
        .testTarget(name: "TollgateCryptoTests", dependencies: ["TollgateCrypto", "TollgateTestSupport"]),
        .testTarget(name: "TollgateStoreTests", dependencies: ["TollgateStore", "TollgateTestSupport", "TollgateLogging"]),
        .testTarget(name: "TollgateHTTPServerTests", dependencies: ["TollgateHTTPServer", "TollgateTestSupport", "TollgateLogging"]),
        .testTarget(name: "TollgateHTTPClientTests", dependencies: ["TollgateHTTPClient", "TollgateHTTPServer", "TollgateTestSupport", "TollgateLogging"]),
        .testTarget(name: "TollgateStripeTests", dependencies: ["TollgateStripe", "TollgateHTTPServer", "TollgateTestSupport", "TollgateHTTPClient", "TollgateLogging"]),
        .testTarget(
            name: "TollgateMailTests", dependencies: ["TollgateMail", "TollgateHTTPServer", "TollgateTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "TollgateOAuthTests", dependencies: ["TollgateOAuth", "TollgateHTTPServer", "TollgateTestSupport", "TollgateCrypto", "TollgateHTTPClient"]),
        .testTarget(name: "TollgateCoreTests", dependencies: ["TollgateCore", "TollgateStripe", "TollgateTestSupport", "Tollgate", "TollgateBilling", "TollgateCrypto", "TollgateEntitlements", "TollgateIntegrations", "TollgateLogging", "TollgateMail", "TollgateOutbox", "TollgateStore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TollgateAPITests", dependencies: ["TollgateAPI", "TollgateCore", "TollgateMail", "TollgateStripe", "TollgateTestSupport", "TollgateWire", "Tollgate", "TollgateBilling", "TollgateCrypto", "TollgateEntitlements", "TollgateHTTPServer", "TollgateLogging", "TollgateOutbox", "TollgateStore"]),
        .testTarget(name: "TollgateClientTests", dependencies: ["TollgateClient", "TollgateAPI", "TollgateCore", "TollgateTestSupport", "Tollgate", "TollgateEntitlements", "TollgateLogging", "TollgateStore"]),
        .testTarget(
            name: "TollgateCLITests",
            dependencies: ["TollgateCLI", "TollgateAPI", "TollgateCore", "TollgateCrypto", "TollgateMail", "TollgateStripe", "TollgateTestSupport", "TollgateWire", "tollgate", "Tollgate", "TollgateBilling", "TollgateEntitlements", "TollgateHTTPServer", "TollgateLogging", "TollgateOutbox", "TollgateStore"]),
    ],
    swiftLanguageModes: [.v6]
)
