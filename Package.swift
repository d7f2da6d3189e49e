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
        .target(name: "TollgateStripe", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging", "TollgateWire"]),
        .target(name: "TollgateOAuth", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging"]),

        // MARK: The service, by concern.
        // The domain the others build on: keys, customers, catalog, subscriptions, grants, usage, rate limits, idempotency.
        .target(name: "TollgateEntitlements", dependencies: ["Tollgate", "TollgateBase", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateWire"]),
        .target(
            name: "TollgateOutbox",
            dependencies: ["TollgateEntitlements", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail", "TollgateWire"]),
        .target(
            name: "TollgateBilling",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail",
                           "TollgateStripe", "TollgateWire"]),
        .target(
            name: "TollgateIntegrations",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateHTTPClient", "TollgateLogging",
                           "TollgateMail", "TollgateOAuth", "TollgateWire"]),
        // The composition root: configuration (the settings table), `Services`, the workers built from it.
        .target(
            name: "TollgateCore",
            dependencies: ["TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateStore", "TollgateCrypto",
                           "TollgateLogging", "TollgateStripe", "TollgateMail", "TollgateOAuth"]),
        .target(
            name: "TollgateAPI",
            dependencies: ["TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateCrypto",
                           "TollgateHTTPServer", "TollgateLogging", "TollgateStore", "TollgateWire"]),
        .target(
            name: "TollgateCLI",
            dependencies: ["TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate",
                           "TollgateStore", "TollgateLogging", "TollgateMail", "TollgateWire"]),
        .executableTarget(name: "tollgate", dependencies: ["TollgateCLI"]),
        .executableTarget(name: "tollgate-bench-ratelimit", dependencies: ["Tollgate", "TollgateCore", "TollgateEntitlements", "TollgateStore"],
                          path: "Sources/TollgateBenchRateLimit"),
        .executableTarget(name: "tollgate-bench-check", dependencies: ["Tollgate", "TollgateBase"], path: "Sources/TollgateBenchCheck"),
        .executableTarget(
            name: "tollgate-bench-webhooks",
            dependencies: ["TollgateAPI", "TollgateBase", "TollgateCore", "TollgateEntitlements", "TollgateBilling", "TollgateLogging", "TollgateStripe",
                           "TollgateStore", "TollgateTestSupport"],
            path: "Sources/TollgateBenchWebhooks"),
        .executableTarget(
            name: "tollgate-bench-outbox",
            dependencies: ["TollgateBase", "TollgateCore", "TollgateOutbox", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateTestSupport"],
            path: "Sources/TollgateBenchOutbox"),

        // MARK: Tests.
        .target(
            name: "TollgateTestSupport", dependencies: ["TollgateStore", "TollgateLogging", "TollgateHTTPServer", "TollgateHTTPClient", "TollgateCrypto",
                           "TollgateOAuth"],
            path: "Tests/TollgateTestSupport"),
        .testTarget(name: "TollgateTests", dependencies: ["Tollgate", "TollgateWire"]),
        .testTarget(name: "TollgateCryptoTests", dependencies: ["TollgateCrypto", "TollgateTestSupport"]),
        .testTarget(name: "TollgateStoreTests", dependencies: ["TollgateStore", "TollgateLogging", "TollgateTestSupport"]),
        .testTarget(name: "TollgateHTTPServerTests", dependencies: ["TollgateHTTPServer", "TollgateLogging", "TollgateTestSupport"]),
        .testTarget(name: "TollgateHTTPClientTests", dependencies: ["TollgateHTTPClient", "TollgateHTTPServer", "TollgateLogging"]),
        .testTarget(
            name: "TollgateStripeTests", dependencies: ["TollgateStripe", "TollgateHTTPClient", "TollgateHTTPServer", "TollgateLogging", "TollgateTestSupport"]),
        .testTarget(
            name: "TollgateMailTests", dependencies: ["TollgateMail", "TollgateHTTPServer", "TollgateTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TollgateOAuthTests", dependencies: ["TollgateOAuth", "TollgateHTTPClient", "TollgateTestSupport"]),
        .testTarget(
            name: "TollgateCoreTests",
            dependencies: ["TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateCrypto",
                           "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateStripe", "TollgateTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TollgateAPITests",
            dependencies: ["TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "Tollgate", "TollgateCrypto",
                           "TollgateHTTPServer", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateStripe", "TollgateTestSupport", "TollgateWire"]),
        .testTarget(
            name: "TollgateClientTests",
            dependencies: ["TollgateClient", "TollgateAPI", "TollgateCore", "TollgateEntitlements", "Tollgate", "TollgateLogging", "TollgateStore",
                           "TollgateTestSupport"]),
        .testTarget(
            name: "TollgateCLITests",
            dependencies: ["TollgateCLI", "TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "Tollgate", "TollgateCrypto",
                           "TollgateHTTPServer", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateStripe", "TollgateTestSupport",
                           "tollgate"]),
    ],
    swiftLanguageModes: [.v6]
)
