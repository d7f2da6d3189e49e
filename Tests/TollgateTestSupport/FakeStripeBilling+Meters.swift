import Foundation
import Synchronization
import TollgateHTTPServer

/// Billing Meters, which localstripe lacks (<https://docs.stripe.com/api/billing/meter>):
///
/// * `POST /v1/billing/meters` (`display_name`, `event_name` unique among meters,
///   `default_aggregation[formula]`, `customer_mapping[event_payload_key|type]`,
///   `value_settings[event_payload_key]`), `GET /v1/billing/meters` (`status`), `GET` and
///   `POST /v1/billing/meters/{id}` (`display_name`), `POST /v1/billing/meters/{id}/deactivate|reactivate`;
/// * `POST /v1/billing/meter_events` (`event_name`, `payload[…]`, `identifier`, `timestamp`), answered
///   with a `billing.meter_event`. Refused as Stripe documents: no active meter for `event_name`, a
///   payload without the meter's customer or value key, a value that is not a number, a timestamp
///   more than 35 days in the past or more than 5 minutes ahead (`timestamp_too_far_in_past`,
///   `timestamp_in_future`), and an `identifier` the fake already holds (uniqueness "within a
///   rolling period of at least 24 hours"; the fake keeps identifiers forever, the strictest
///   reading) — a 400 `invalid_request_error` with code `duplicate_meter_event` (Stripe's exact code
///   for a synchronous duplicate is not documented; the fake's choice);
/// * `GET /v1/billing/meters/{id}/event_summaries` (`customer`, `start_time`, `end_time` required):
///   one `billing.meter_event_summary` with the `sum` of the customer's accepted events whose
///   timestamp falls in `[start_time, end_time)`.
///
/// Every meter-event request is logged with its identifier and value, accepted or not
/// (``meterEventsSeen``), so a test proves no identifier went out twice with two values. Failures
/// are scripted with ``fail(_:_:status:type:code:message:times:afterHandling:)`` on
/// `/v1/billing/meter_events` (a 500 or 429 before handling; `afterHandling` for "recorded, answer lost").
extension FakeStripeBilling {
    struct MeterObject {
        var id: String; var displayName: String; var eventName: String; var formula: String
        var customerKey: String; var valueKey: String; var status = "active"; var created: Int
    }

    struct MeterEventObject { var identifier: String; var eventName: String; var customer: String; var value: Int64; var timestamp: Int }

    struct MeterState {
        var meters: [MeterObject] = []
        /// Accepted events by identifier.
        var events: [String: MeterEventObject] = [:]
        /// Every meter-event request's identifier and value, in order, accepted or refused.
        var seen: [(identifier: String, value: String)] = []
    }

    static var meterRoutes: [(HTTPMethod, String, @Sendable (FakeStripeBilling, Request, inout State) throws -> Any)] {
        [
            (.GET, "/v1/billing/meters", { fake, request, state in
                fake.list(request, state.meters.meters.filter { request["status"] == nil || $0.status == request["status"] }.map(Self.json))
            }),
            (.POST, "/v1/billing/meters", { _, request, state in try Self.createMeter(request, &state) }),
            (.GET, "/v1/billing/meters/{id}", { _, request, state in Self.json(state.meters.meters[try Self.meterIndex(request.path, state)]) }),
            (.POST, "/v1/billing/meters/{id}", { _, request, state in
                let index = try Self.meterIndex(request.path, state)
                if let name = request["display_name"] { state.meters.meters[index].displayName = name }
                return Self.json(state.meters.meters[index])
            }),
            (.POST, "/v1/billing/meters/{id}/deactivate", { _, request, state in try Self.setMeterStatus("inactive", request, &state) }),
            (.POST, "/v1/billing/meters/{id}/reactivate", { _, request, state in try Self.setMeterStatus("active", request, &state) }),
            (.GET, "/v1/billing/meters/{id}/event_summaries", { fake, request, state in try fake.eventSummaries(request, state) }),
            (.POST, "/v1/billing/meter_events", { _, request, state in try Self.createMeterEvent(request, &state) }),
        ]
    }

    // MARK: For tests

    /// Accepted meter-event values summed per event name and Stripe customer.
    package var meterTotals: [String: [String: Int64]] {
        state.withLock { state in
            var totals: [String: [String: Int64]] = [:]
            for event in state.meters.events.values { totals[event.eventName, default: [:]][event.customer, default: 0] += event.value }
            return totals
        }
    }

    /// Every identifier and value a meter-event request carried, in order (refused ones too).
    package var meterEventsSeen: [(identifier: String, value: String)] { state.withLock { $0.meters.seen } }

    /// How many meter events were accepted.
    package var meterEventCount: Int { state.withLock { $0.meters.events.count } }

    /// The meters' event names, by id.
    package var meterEventNames: [String: String] {
        state.withLock { Dictionary(uniqueKeysWithValues: $0.meters.meters.map { ($0.id, $0.eventName) }) }
    }

    /// Active metered prices by lookup key: their meter id and decimal amount.
    package var meteredPrices: [String: (meter: String, unitAmountDecimal: String, interval: String)] {
        state.withLock { state in
            var prices: [String: (meter: String, unitAmountDecimal: String, interval: String)] = [:]
            for price in state.prices where price.active && price.usageType == "metered" {
                if let key = price.lookupKey, let meter = price.meter { prices[key] = (meter, price.unitAmountDecimal ?? String(price.unitAmount), price.interval) }
            }
            return prices
        }
    }

    // MARK: Handlers

    static func json(_ meter: MeterObject) -> [String: Any] {
        ["id": meter.id, "object": "billing.meter", "created": meter.created, "updated": meter.created, "livemode": false,
         "display_name": meter.displayName, "event_name": meter.eventName, "event_time_window": NSNull(), "status": meter.status,
         "status_transitions": ["deactivated_at": meter.status == "inactive" ? meter.created as Any : NSNull() as Any],
         "default_aggregation": ["formula": meter.formula],
         "customer_mapping": ["type": "by_id", "event_payload_key": meter.customerKey],
         "value_settings": ["event_payload_key": meter.valueKey]]
    }

    static func meterIndex(_ path: String, _ state: State) throws(HTTPError) -> Int {
        let parts = path.split(separator: "/").map(String.init)  // v1 billing meters {id} …
        guard parts.count >= 4, let index = state.meters.meters.firstIndex(where: { $0.id == parts[3] }) else { throw missing(path) }
        return index
    }

    static func createMeter(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        for required in ["display_name", "event_name", "default_aggregation[formula]"] where request[required] == nil {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: \(required).", param: required)
        }
        let eventName = request["event_name"] ?? ""
        guard eventName.count <= 100 else {
            throw stripeError(400, "invalid_request_error", nil, "event_name must be at most 100 characters.", param: "event_name")
        }
        guard !state.meters.meters.contains(where: { $0.eventName == eventName && $0.status == "active" }) else {
            throw stripeError(400, "invalid_request_error", nil, "An active meter with event_name `\(eventName)` already exists.", param: "event_name")
        }
        state.counter += 1
        let meter = MeterObject(
            id: "mtr_Fake\(String(format: "%06d", state.counter))", displayName: request["display_name"] ?? "", eventName: eventName,
            formula: request["default_aggregation[formula]"] ?? "sum", customerKey: request["customer_mapping[event_payload_key]"] ?? "stripe_customer_id",
            valueKey: request["value_settings[event_payload_key]"] ?? "value", created: 1_767_225_600 + state.counter)
        state.meters.meters.append(meter)
        return json(meter)
    }

    static func setMeterStatus(_ status: String, _ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let index = try meterIndex(request.path, state)
        state.meters.meters[index].status = status
        return json(state.meters.meters[index])
    }

    static func createMeterEvent(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let eventName = request["event_name"] ?? ""
        let identifier = request["identifier"] ?? "fake-\(UUID().uuidString)"
        state.meters.seen.append((identifier, request["payload[value]"] ?? ""))
        guard let meter = state.meters.meters.first(where: { $0.eventName == eventName && $0.status == "active" }) else {
            throw stripeError(400, "invalid_request_error", "no_meter", "No active meter was found for event_name `\(eventName)`.", param: "event_name")
        }
        guard let customer = request["payload[\(meter.customerKey)]"], !customer.isEmpty else {
            throw stripeError(400, "invalid_request_error", "meter_event_no_customer_defined", "The payload has no `\(meter.customerKey)`.", param: "payload")
        }
        guard let value = request["payload[\(meter.valueKey)]"].flatMap({ Int64($0) }) else {
            throw stripeError(400, "invalid_request_error", "meter_event_invalid_value", "The payload's `\(meter.valueKey)` is not a number.", param: "payload")
        }
        let now = Int(Date().timeIntervalSince1970)
        let timestamp = request["timestamp"].flatMap { Int($0) } ?? now
        if timestamp < now - 35 * 86_400 {
            throw stripeError(400, "invalid_request_error", "timestamp_too_far_in_past", "The timestamp must be within the past 35 calendar days.",
                              param: "timestamp")
        }
        if timestamp > now + 300 {
            throw stripeError(400, "invalid_request_error", "timestamp_in_future", "The timestamp must be at most 5 minutes in the future.", param: "timestamp")
        }
        guard state.meters.events[identifier] == nil else {
            throw stripeError(400, "invalid_request_error", "duplicate_meter_event",
                              "A meter event with identifier `\(identifier)` already exists.", param: "identifier")
        }
        state.meters.events[identifier] = MeterEventObject(identifier: identifier, eventName: eventName, customer: customer, value: value, timestamp: timestamp)
        return ["object": "billing.meter_event", "created": now, "event_name": eventName, "identifier": identifier, "livemode": false,
                "payload": [meter.customerKey: customer, meter.valueKey: String(value)], "timestamp": timestamp] as [String: Any]
    }

    func eventSummaries(_ request: Request, _ state: State) throws(HTTPError) -> Any {
        let meter = state.meters.meters[try Self.meterIndex(request.path, state)]
        for required in ["customer", "start_time", "end_time"] where request[required] == nil {
            throw Self.stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: \(required).", param: required)
        }
        let start = Int(request["start_time"] ?? "") ?? 0
        let end = Int(request["end_time"] ?? "") ?? 0
        let total = state.meters.events.values.filter {
            $0.eventName == meter.eventName && $0.customer == request["customer"] && $0.timestamp >= start && $0.timestamp < end
        }.reduce(Int64(0)) { $0 + $1.value }
        let summary: [String: Any] = [
            "id": "mtrusg_Fake\(meter.id)\(start)", "object": "billing.meter_event_summary", "aggregated_value": total, "start_time": start,
            "end_time": end, "livemode": false, "meter": meter.id,
        ]
        return list(request, [summary])
    }
}
