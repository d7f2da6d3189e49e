import Synchronization
import Tollgate

extension TollgateClient {
    /// What the service last said about a customer.
    enum Content: Sendable {
        case snapshot(EntitlementSnapshot)
        case unknownCustomer
    }

    /// A cached answer: the content, its `ETag` and when the service last sent or confirmed it.
    struct Entry: Sendable {
        var content: Content
        var etag: String?
        var fetchedAt: ContinuousClock.Instant
    }

    /// A request under way for one customer, which concurrent checks await together.
    struct Flight: Sendable {
        var id: UInt64
        var task: Task<Resolution, Never>
    }

    /// Everything known about one customer.
    struct Slot: Sendable {
        var entry: Entry?
        var failedAt: ContinuousClock.Instant?
        var failure: TollgateClientError?
        var flight: Flight?
    }

    struct State: Sendable {
        var slots: [String: Slot] = [:]
        var nextFlightID: UInt64 = 0
    }

    /// What a check gets to work with.
    enum Resolution: Sendable {
        /// Content to answer from, where it came from, and why it is stale if it is.
        case answer(Content, AnswerSource, error: TollgateClientError?)
        /// Nothing usable: the fallback answers.
        case failure(TollgateClientError)
    }

    private enum Step {
        case resolved(Resolution)
        case wait(Task<Resolution, Never>)
    }

    /// The customer's content: the fresh cache, the request under way, the outcome of the last
    /// failure while ``TollgateClientConfiguration/retryInterval`` lasts, or a new request.
    func resolve(_ customer: String) async -> Resolution {
        guard Self.isPossibleCustomerID(customer) else {
            return .answer(.unknownCustomer, .fresh, error: nil)
        }
        let now = configuration.clock()
        let step = state.withLock { state -> Step in
            var slot = state.slots[customer] ?? Slot()
            if let entry = slot.entry, now - entry.fetchedAt < configuration.cacheTTL {
                return .resolved(.answer(entry.content, cachedSource, error: nil))
            }
            if let flight = slot.flight {
                return .wait(flight.task)
            }
            if let failedAt = slot.failedAt, let failure = slot.failure, now - failedAt < configuration.retryInterval {
                return .resolved(afterFailure(failure, entry: slot.entry, now: now))
            }
            // Starting the request inside the lock makes "no request under way, so start one"
            // atomic (single flight); creating a task only enqueues it.
            let id = state.nextFlightID
            state.nextFlightID &+= 1
            let entry = slot.entry
            let task = Task { await self.refresh(customer, entry: entry, flight: id) }
            slot.flight = Flight(id: id, task: task)
            state.slots[customer] = slot
            return .wait(task)
        }
        switch step {
        case .resolved(let resolution): return resolution
        case .wait(let task): return await task.value
        }
    }

    /// One request for `customer`, revalidating `entry`; caches the outcome unless the
    /// customer was invalidated meanwhile.
    private func refresh(_ customer: String, entry: Entry?, flight id: UInt64) async -> Resolution {
        let outcome = await fetcher.fetch(customer: customer, ifNoneMatch: entry?.etag)
        let now = configuration.clock()
        var updated = entry
        var failure: TollgateClientError?
        let resolution: Resolution
        switch outcome {
        case .snapshot(let snapshot, let etag):
            updated = Entry(content: .snapshot(snapshot), etag: etag, fetchedAt: now)
            resolution = .answer(.snapshot(snapshot), .fresh, error: nil)
        case .notModified(let etag):
            if var confirmed = entry {
                confirmed.fetchedAt = now
                if let etag { confirmed.etag = etag }
                updated = confirmed
                resolution = .answer(confirmed.content, .fresh, error: nil)
            } else {
                // A 304 to a request without If-None-Match: the service misbehaved.
                let error = TollgateClientError(.invalidResponse, status: 304, "304 Not Modified to an unconditional request")
                failure = error
                resolution = .failure(error)
            }
        case .unknownCustomer:
            updated = Entry(content: .unknownCustomer, etag: nil, fetchedAt: now)
            resolution = .answer(.unknownCustomer, .fresh, error: nil)
        case .failed(let error):
            failure = error
            resolution = afterFailure(error, entry: entry, now: now)
        }
        state.withLock { state in
            guard var slot = state.slots[customer], slot.flight?.id == id else { return }
            slot.flight = nil
            slot.entry = updated
            slot.failure = failure
            slot.failedAt = failure == nil ? nil : now
            state.slots[customer] = slot
        }
        return resolution
    }

    /// Whether the service could hold a customer with this external id: 1–255 printable ASCII
    /// characters, no space, no `/`. Any other id would not reach the snapshot route at all
    /// (a 404 without `unknown_customer`, which would count as a failure and fall back).
    static func isPossibleCustomerID(_ customer: String) -> Bool {
        let bytes = customer.utf8
        return !bytes.isEmpty && bytes.count <= 255
            && bytes.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "/") }
    }

    /// After a failed request: the stale entry while it may still answer (never after the key
    /// was refused), else the failure.
    private func afterFailure(_ error: TollgateClientError, entry: Entry?, now: ContinuousClock.Instant) -> Resolution {
        if !error.isAuthorizationFailure, let entry,
           now - entry.fetchedAt < configuration.cacheTTL + configuration.maxStale {
            return .answer(entry.content, .staleCache, error: error)
        }
        return .failure(error)
    }
}
