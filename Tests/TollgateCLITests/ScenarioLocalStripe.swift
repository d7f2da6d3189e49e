import Foundation
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// A localstripe of one scenario seed: its own process (`scripts/peers/localstripe start DIR`, run
/// from the repository root), so its store holds one seed's objects only — localstripe scans its
/// whole store on every list call — and no other test's webhook registrations or events.
final class ScenarioLocalStripe {
    let url: String
    let directory: String
    let client: StripeClient
    private var stopped = false

    /// Why the peer could not start: the script's own words (python3 or the virtualenv missing, …).
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    static var script: String { TestDatabase.repositoryRoot + "/scripts/peers/localstripe" }

    /// Starts a localstripe whose state lives in `directory` (created; removed again by ``stop()``).
    init(directory: String) throws {
        self.directory = directory
        let errors = directory + ".start.log"
        let output = try Self.runScript(["start", directory], standardError: errors)
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errors)
        let line = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard output.status == 0, line.hasPrefix("http://127.0.0.1:") else {
            throw StartFailure(description: """
                scripts/peers/localstripe start \(directory) failed (exit \(output.status.map(String.init) ?? "none")); \
                it needs python3 with venv (scripts/bootstrap --test) and, the first time, PyPI to install localstripe.
                stdout: \(line)
                stderr: \(stderr)
                """)
        }
        url = line
        client = StripeClient(configuration: StripeConfiguration(
            apiKey: StripeAPIKey("sk_test_tollgate_scenario"), baseURL: line, timeout: .seconds(30), maxRetries: 0))
    }

    deinit { stop() }

    /// `GET path` with `query`, read without Tollgate's client.
    func get(_ path: String, _ query: StripeForm = [:]) throws -> StripeObject {
        let port = Int(url.split(separator: ":").last ?? "") ?? 0
        let target = path + (query.isEmpty ? "" : "?" + query.encoded)
        let response = try HTTPTestClient.request(
            port: port, path: target, headers: [("Authorization", "Bearer sk_test_tollgate_scenario")], timeout: .seconds(30))
        guard response.status == 200 else { throw HTTPTestClientError("localstripe GET \(target): \(response.status) \(response.text)") }
        guard let object = StripeObject.parse(response.body) else { throw HTTPTestClientError("localstripe GET \(target): not JSON") }
        return object
    }

    /// Every object of a list endpoint, page by page (localstripe lists oldest first).
    func list(_ path: String, _ query: StripeForm = [:]) throws -> [StripeObject] {
        var query = query
        query["limit"] = 100
        var all: [StripeObject] = []
        while true {
            let page = try get(path, query)
            let data = page["data"]?.array ?? []
            all += data
            guard page["has_more"]?.bool == true, let last = data.last?.id else { return all }
            query["starting_after"] = .string(last)
        }
    }

    /// Stops the process and removes its directory (idempotent).
    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.runScript(["stop", directory], standardError: nil)
    }

    /// Runs the peer script through bash (spawned with an empty signal mask: see ``ChildProcess``).
    private static func runScript(_ arguments: [String], standardError: String?) throws -> (status: Int32?, text: String) {
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: [script] + arguments,
            standardOutput: .pipe, standardError: standardError.map { .file($0) } ?? .discard)
        let text = String(decoding: child.readStandardOutput(), as: UTF8.self)
        // Installing localstripe into the cached virtualenv the first time needs PyPI: minutes at most.
        return (child.waitForExit(timeout: .seconds(600)), text)
    }
}
