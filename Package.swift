// swift-tools-version: 6.0
// Tollgate: billing, entitlements and integrations service.
// No package dependencies (the owner's rule): the toolchain plus five system C libraries.
import PackageDescription

// Every Swift target (the C shims have no Swift): an existential is spelled `any P`; a member is visible only where its
// module is imported (so a missing import, and thus a missing dependency, fails the build); an import is internal unless
// written `public import` or `package import` (what a module's API exposes of another is said at the import).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

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
        .target(name: "Tollgate", dependencies: ["TollgateBase"], swiftSettings: swiftSettings),
        .target(name: "TollgateClient", dependencies: ["Tollgate", "TollgateBase", "TollgateWire", "TollgateCrypto"], swiftSettings: swiftSettings),
        // The wire: JSON conventions, the list envelope's and the error body's shapes, the failure vocabulary.
        .target(name: "TollgateWire", swiftSettings: swiftSettings),

        // MARK: Infrastructure.
        // The primitives several modules need, written once (Duration units, percent-encoding).
        .target(name: "TollgateBase", swiftSettings: swiftSettings),
        .target(name: "TollgateLogging", dependencies: ["TollgateBase"], swiftSettings: swiftSettings),
        .target(name: "TollgateCrypto", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(
            name: "TollgateStore", dependencies: ["CSQLite", "CLibPQ", "CSQLiteShims", "TollgateBase", "TollgateCrypto", "TollgateLogging", "TollgateWire"],
            swiftSettings: swiftSettings),
        .target(
            name: "TollgateHTTPServer", dependencies: ["CMicroHTTPD", "CMicroHTTPDShims", "TollgateBase", "TollgateLogging", "TollgateWire"],
            swiftSettings: swiftSettings),
        .target(name: "TollgateHTTPClient", dependencies: ["CCurl", "CCurlShims", "TollgateBase", "TollgateLogging"], swiftSettings: swiftSettings),
        .target(name: "TollgateMail", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateLogging"], swiftSettings: swiftSettings),
        .target(
            name: "TollgateStripe", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging", "TollgateWire"],
            swiftSettings: swiftSettings),
        .target(
            name: "TollgateOAuth", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateCrypto", "TollgateLogging"],
            swiftSettings: swiftSettings),

        // MARK: The service, by concern.
        // The event log: appended with each change, published in commit order, read by position.
        .target(
            name: "TollgateEvents", dependencies: ["TollgateBase", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateWire"],
            swiftSettings: swiftSettings),
        // The domain the others build on: keys, customers, catalog, subscriptions, grants, usage, rate limits, idempotency.
        .target(
            name: "TollgateEntitlements", dependencies: ["Tollgate", "TollgateBase", "TollgateEvents", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateWire"],
            swiftSettings: swiftSettings),
        .target(
            name: "TollgateOutbox",
            dependencies: ["TollgateBase", "TollgateEntitlements", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail", "TollgateWire"],
            swiftSettings: swiftSettings),
        .target(
            name: "TollgateBilling",
            dependencies: ["TollgateBase", "TollgateEntitlements", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateLogging", "TollgateMail",
                           "TollgateStripe", "TollgateWire"], swiftSettings: swiftSettings),
        .target(
            name: "TollgateIntegrations",
            dependencies: ["TollgateBase", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "Tollgate", "TollgateStore", "TollgateCrypto", "TollgateHTTPClient", "TollgateLogging",
                           "TollgateMail", "TollgateOAuth", "TollgateWire"], swiftSettings: swiftSettings),
        // Webhook endpoints: the repository, the Standard Webhooks signer, the delivery worker.
        .target(
            name: "TollgateWebhookEndpoints",
            dependencies: ["TollgateBase", "TollgateEvents", "TollgateEntitlements", "TollgateOutbox", "TollgateHTTPClient", "TollgateCrypto", "TollgateStore",
                           "TollgateLogging", "TollgateWire"], swiftSettings: swiftSettings),
        // The composition root: configuration (the settings table), `Services`, the workers built from it.
        .target(
            name: "TollgateCore",
            dependencies: ["TollgateBase", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateStore", "TollgateCrypto",
                           "TollgateLogging", "TollgateStripe", "TollgateMail", "TollgateOAuth", "TollgateWebhookEndpoints"], swiftSettings: swiftSettings),
        // The admin console (issue 19): server-rendered pages under /admin, registered on the API's router.
        .target(
            name: "TollgateConsole",
            dependencies: ["Tollgate", "TollgateBase", "TollgateBilling", "TollgateCore", "TollgateCrypto", "TollgateEntitlements", "TollgateHTTPServer",
                           "TollgateIntegrations", "TollgateLogging", "TollgateMail", "TollgateOutbox", "TollgateStore"], swiftSettings: swiftSettings),
        .target(
            name: "TollgateAPI",
            dependencies: ["TollgateBase", "TollgateConsole", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateCrypto",
                           "TollgateHTTPServer", "TollgateLogging", "TollgateStore", "TollgateWire", "TollgateWebhookEndpoints"], swiftSettings: swiftSettings),
        .target(
            name: "TollgateCLI",
            dependencies: ["TollgateBase", "TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate",
                           "TollgateStore", "TollgateLogging", "TollgateMail", "TollgateWire", "TollgateWebhookEndpoints", "TollgateHTTPClient"], swiftSettings: swiftSettings),
        .executableTarget(name: "tollgate", dependencies: ["TollgateCLI"], swiftSettings: swiftSettings),

        // MARK: Benchmarks (Benchmarks/: no product ships them; `scripts/bench*` build and run them).
        .executableTarget(
            name: "tollgate-bench-ratelimit", dependencies: ["Tollgate", "TollgateCore", "TollgateEntitlements", "TollgateLogging", "TollgateStore"],
            path: "Benchmarks/TollgateBenchRateLimit", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate-bench-check", dependencies: ["Tollgate", "TollgateBase"], path: "Benchmarks/TollgateBenchCheck",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate-bench-webhooks",
            dependencies: ["TollgateAPI", "TollgateBase", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateBilling", "TollgateLogging", "TollgateStripe",
                           "TollgateStore", "TollgateTestSupport"],
            path: "Benchmarks/TollgateBenchWebhooks", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate-bench-outbox",
            dependencies: ["TollgateBase", "TollgateCore", "TollgateOutbox", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateTestSupport"],
            path: "Benchmarks/TollgateBenchOutbox", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate-bench-events",
            dependencies: ["Tollgate", "TollgateBase", "TollgateClient", "TollgateCore", "TollgateEntitlements", "TollgateLogging", "TollgateStore", "TollgateTestSupport"],
            path: "Benchmarks/TollgateBenchEvents", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tollgate-bench-webhook-endpoints",
            dependencies: ["TollgateBase", "TollgateCore", "TollgateEvents", "TollgateLogging", "TollgateStore", "TollgateTestSupport", "TollgateWebhookEndpoints"],
            path: "Benchmarks/TollgateBenchWebhookEndpoints", swiftSettings: swiftSettings),

        // MARK: Tests.
        .target(
            name: "TollgateTestSupport", dependencies: ["TollgateBase", "TollgateStore", "TollgateLogging", "TollgateHTTPServer", "TollgateHTTPClient", "TollgateCrypto",
                           "TollgateOAuth"],
            path: "Tests/TollgateTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "TollgateTests", dependencies: ["Tollgate", "TollgateWire"], swiftSettings: swiftSettings),
        .testTarget(name: "TollgateBaseTests", dependencies: ["TollgateBase", "TollgateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TollgateCryptoTests", dependencies: ["TollgateCrypto", "TollgateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateStoreTests", dependencies: ["TollgateStore", "TollgateLogging", "TollgateTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateHTTPServerTests", dependencies: ["TollgateBase", "TollgateHTTPServer", "TollgateLogging", "TollgateTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateHTTPClientTests", dependencies: ["TollgateBase", "TollgateHTTPClient", "TollgateHTTPServer", "TollgateLogging"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateStripeTests", dependencies: ["TollgateBase", "TollgateStripe", "TollgateHTTPClient", "TollgateHTTPServer", "TollgateLogging", "TollgateTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateMailTests", dependencies: ["TollgateBase", "TollgateMail", "TollgateHTTPServer", "TollgateTestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateOAuthTests", dependencies: ["TollgateOAuth", "TollgateHTTPClient", "TollgateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateCoreTests",
            dependencies: ["TollgateBase", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateCrypto",
                           "TollgateLogging", "TollgateMail", "TollgateOAuth", "TollgateStore", "TollgateStripe", "TollgateTestSupport",
                           "TollgateWebhookEndpoints", "TollgateWire"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateAPITests",
            dependencies: ["TollgateBase", "TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate", "TollgateCrypto",
                           "TollgateHTTPServer", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateStripe", "TollgateTestSupport", "TollgateWire",
                           "TollgateWebhookEndpoints"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateClientTests",
            dependencies: ["TollgateClient", "TollgateAPI", "TollgateBase", "TollgateCore", "TollgateEntitlements", "TollgateEvents", "TollgateHTTPServer", "Tollgate",
                           "TollgateLogging", "TollgateStore", "TollgateTestSupport", "TollgateWebhookEndpoints"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TollgateCLITests",
            dependencies: ["TollgateBase", "TollgateCLI", "TollgateAPI", "TollgateCore", "TollgateEntitlements", "TollgateOutbox", "TollgateBilling", "TollgateIntegrations", "Tollgate",
                           "TollgateCrypto", "TollgateHTTPServer", "TollgateLogging", "TollgateMail", "TollgateStore", "TollgateStripe", "TollgateTestSupport",
                           "TollgateEvents", "TollgateWebhookEndpoints", "tollgate"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
