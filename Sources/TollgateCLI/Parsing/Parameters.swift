// The options, flags and arguments of a command, each declared once as a property:
//
// ```swift
// @Argument("CUSTOMER") var customer: String
// @Option("--quantity", "N", "How much", in: 1...) var quantity: Int64 = 1
// @Option("--status", "STATUS", "Only events with this status") var status: StripeEventStatus?
// @Flag("--dry-run", "Write nothing") var dryRun: Bool
// ```
//
// The declaration gives the parser its name and whether it takes a value, the help its line and
// allowed values, the conversion from text (``ArgumentValue``, with its range), and the command
// its typed value. A value that does not convert is a usage error naming the option.
// (swift-argument-parser's shape, without the package: the parser finds the properties by
// reflection and fills them before the command runs.)

/// What the parser and the help know about one option, flag or argument.
struct ParameterDefinition: Sendable {
    enum Kind: Sendable, Equatable {
        case flag
        /// `--name VALUE` or `--name=VALUE`; the value's placeholder in help.
        case option(valueName: String)
        case argument
    }

    var kind: Kind
    /// `--quantity`, or the argument's placeholder (`CUSTOMER`).
    var name: String
    var help: String
    /// An option or argument that must be given (no default, not optional).
    var required: Bool
    /// The values allowed, when they are a closed set.
    var choices: [String]?
}

/// A property the parser fills: what it declares, and how a value from the command line is kept.
protocol CommandParameter {
    var definition: ParameterDefinition { get }
    /// Converts and keeps the command line's text for it (nil: not given; for a flag, "" when given).
    func assign(_ text: String?) throws(UsageError)
}

/// Where a parsed value lives between parsing and the command's run. A property wrapper is copied
/// whenever the command is; this reference is what the copies share.
///
/// For an optional parameter `Value` is itself optional: `convert` answers `.some(nil)` never —
/// nil means "not a value", `.some(.some(x))` a value (the optional inits spell it out, so that a
/// failed conversion is not promoted to a valid nil).
final class ParameterSlot<Value> {
    private var stored: Value?
    let convert: (String) -> Value?
    let expectation: String

    init(initial: Value?, expectation: String, convert: @escaping (String) -> Value?) {
        stored = initial
        self.expectation = expectation
        self.convert = convert
    }

    /// The parsed value. The parser assigns every required parameter before a command runs, so a
    /// missing one is a command read outside the parser: a programming error.
    var value: Value {
        guard let stored else { preconditionFailure("a command parameter was read before the command line was parsed") }
        return stored
    }

    func assign(_ text: String?, name: String) throws(UsageError) {
        guard let text else { return }
        guard let value = convert(text) else { throw UsageError("\(name) must be \(expectation); got \(text)") }
        stored = value
    }
}

/// `--name VALUE`: optional (`String?`), with a default (`= 1`), or required (neither).
@propertyWrapper
struct Option<Value>: CommandParameter {
    let definition: ParameterDefinition
    private let slot: ParameterSlot<Value>

    var wrappedValue: Value { slot.value }

    private init(_ name: String, _ valueName: String, _ help: String, required: Bool, choices: [String]?, slot: ParameterSlot<Value>) {
        definition = ParameterDefinition(kind: .option(valueName: valueName), name: name, help: help, required: required, choices: choices)
        self.slot = slot
    }

    func assign(_ text: String?) throws(UsageError) { try slot.assign(text, name: definition.name) }
}

extension Option where Value: ArgumentValue {
    /// A required option.
    init(_ name: String, _ valueName: String, _ help: String) {
        self.init(name, valueName, help, required: true, choices: Value.choices,
                  slot: ParameterSlot(initial: nil, expectation: Value.expectation, convert: Value.init(argument:)))
    }

    /// An option with a default.
    init(wrappedValue: Value, _ name: String, _ valueName: String, _ help: String) {
        self.init(name, valueName, help, required: false, choices: Value.choices,
                  slot: ParameterSlot(initial: wrappedValue, expectation: Value.expectation, convert: Value.init(argument:)))
    }
}

extension Option where Value: ArgumentValue & Comparable {
    /// An option with a default and a least value (`in: 1...`).
    init(wrappedValue: Value, _ name: String, _ valueName: String, _ help: String, in range: PartialRangeFrom<Value>) {
        self.init(name, valueName, help, required: false, choices: nil, slot: ParameterSlot(
            initial: wrappedValue, expectation: "\(Value.expectation) of at least \(range.lowerBound)",
            convert: { Value(argument: $0).flatMap { range.contains($0) ? $0 : nil } }))
    }

    /// An option with a default, within a range (`in: 1...1_000`).
    init(wrappedValue: Value, _ name: String, _ valueName: String, _ help: String, in range: ClosedRange<Value>) {
        self.init(name, valueName, help, required: false, choices: nil, slot: ParameterSlot(
            initial: wrappedValue, expectation: "\(Value.expectation) from \(range.lowerBound) to \(range.upperBound)",
            convert: { Value(argument: $0).flatMap { range.contains($0) ? $0 : nil } }))
    }
}

extension Option {
    /// An optional option: nil when not given.
    init<Wrapped: ArgumentValue>(_ name: String, _ valueName: String, _ help: String) where Value == Wrapped? {
        self.init(name, valueName, help, required: false, choices: Wrapped.choices, slot: ParameterSlot(
            initial: .some(nil), expectation: Wrapped.expectation, convert: { text -> Value? in Wrapped(argument: text).map { .some($0) } }))
    }

    /// An optional option within a range (`in: 0...36_500`).
    init<Wrapped: ArgumentValue & Comparable>(_ name: String, _ valueName: String, _ help: String, in range: ClosedRange<Wrapped>)
    where Value == Wrapped? {
        self.init(name, valueName, help, required: false, choices: nil, slot: ParameterSlot(
            initial: .some(nil), expectation: "\(Wrapped.expectation) from \(range.lowerBound) to \(range.upperBound)",
            convert: { text -> Value? in
                guard let value = Wrapped(argument: text), range.contains(value) else { return nil }
                return .some(value)
            }))
    }
}

/// `--name`, on or off.
@propertyWrapper
struct Flag: CommandParameter {
    let definition: ParameterDefinition
    private let slot = ParameterSlot<Bool>(initial: false, expectation: "given without a value") { _ in true }

    var wrappedValue: Bool { slot.value }

    init(_ name: String, _ help: String) {
        definition = ParameterDefinition(kind: .flag, name: name, help: help, required: false, choices: nil)
    }

    func assign(_ text: String?) throws(UsageError) { try slot.assign(text, name: definition.name) }
}

/// A positional argument, in declaration order: required, or optional (`String?`) after the required ones.
@propertyWrapper
struct Argument<Value>: CommandParameter {
    let definition: ParameterDefinition
    private let slot: ParameterSlot<Value>

    var wrappedValue: Value { slot.value }

    func assign(_ text: String?) throws(UsageError) { try slot.assign(text, name: definition.name) }
}

extension Argument where Value: ArgumentValue {
    init(_ name: String, _ help: String = "") {
        definition = ParameterDefinition(kind: .argument, name: name, help: help, required: true, choices: Value.choices)
        slot = ParameterSlot(initial: nil, expectation: Value.expectation, convert: Value.init(argument:))
    }
}

extension Argument {
    init<Wrapped: ArgumentValue>(_ name: String, _ help: String = "") where Value == Wrapped? {
        definition = ParameterDefinition(kind: .argument, name: name, help: help, required: false, choices: Wrapped.choices)
        slot = ParameterSlot(
            initial: .some(nil), expectation: Wrapped.expectation, convert: { text -> Value? in Wrapped(argument: text).map { .some($0) } })
    }
}

/// Options several commands share, declared once as a group: a property of a type conforming to
/// this contributes the group's own parameters (the parser looks inside it).
protocol ParameterGroup {}
