#if canImport(Glibc)
import Glibc
import Synchronization

/// Counts heap allocations of Swift objects — class instances, array, dictionary and string
/// buffers, boxes and existential boxes — through the Swift runtime's allocation hook:
/// `swift_allocObject` calls through the exported function pointer `_swift_allocObject`
/// when it differs from the default (the runtime's `InstrumentsSupport.h`). The counting hook
/// forwards to the original.
///
/// Noticing the hook, the runtime also sets
/// `_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly`, which
/// routes every retain through `_swift_retain_adapterImpl`; on Swift 6.3 for Linux that
/// adapter faults on small-string payloads (fixed upstream in swiftlang/swift#88924). So the
/// hook clears the flag again on every call, before anything else runs: the benchmark is
/// single-threaded, so no retain ever sees it set.
///
/// The benchmark proves the counter with a control loop that allocates once per iteration.
/// (Interposing `malloc` itself needs the executable to export a symbol Swift reserves;
/// `mallinfo2()` reports bytes in use, which a malloc-then-free per check leaves unchanged.)
enum AllocationCounter {
    typealias AllocObject = @convention(c) (UnsafeRawPointer?, Int, Int) -> UnsafeMutableRawPointer?

    /// Swift object allocations counted so far.
    static var count: Int { counter.load(ordering: .relaxed) }

    /// Starts counting. Returns false when the runtime lacks the hook.
    @discardableResult
    static func install() -> Bool {
        guard let hook, let swizzling else { return false }
        swizzlingFlag.store(UInt(bitPattern: swizzling), ordering: .releasing)
        let pointer = hook.assumingMemoryBound(to: AllocObject.self)
        original.store(UInt(bitPattern: unsafeBitCast(pointer.pointee, to: Int.self)), ordering: .releasing)
        pointer.pointee = counting
        return true
    }

    /// Stops counting: restores the runtime's own allocator.
    static func uninstall() {
        guard let hook, let swizzling else { return }
        let originalBits = original.load(ordering: .acquiring)
        hook.assumingMemoryBound(to: AllocObject.self).pointee = unsafeBitCast(Int(bitPattern: originalBits), to: AllocObject.self)
        swizzling.storeBytes(of: false, as: Bool.self)
    }

    private static let counter = Atomic<Int>(0)
    private static let original = Atomic<UInt>(0)
    private static let swizzlingFlag = Atomic<UInt>(0)

    private static let counting: AllocObject = { metadata, size, alignmentMask in
        if let flag = UnsafeMutableRawPointer(bitPattern: AllocationCounter.swizzlingFlag.load(ordering: .acquiring)) {
            flag.storeBytes(of: false, as: Bool.self)
        }
        AllocationCounter.counter.add(1, ordering: .relaxed)
        let bits = Int(bitPattern: AllocationCounter.original.load(ordering: .acquiring))
        return unsafeBitCast(bits, to: AllocObject.self)(metadata, size, alignmentMask)
    }

    /// The address of `_swift_allocObject` in the loaded Swift runtime.
    private static var hook: UnsafeMutableRawPointer? {
        dlsym(nil, "_swift_allocObject")
    }

    /// The address of the runtime's swizzling flag (a C++ `std::atomic<bool>`).
    private static var swizzling: UnsafeMutableRawPointer? {
        dlsym(nil, "_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly")
    }
}
#else
/// Allocations are only counted on Linux.
enum AllocationCounter {
    static var count: Int { 0 }
    @discardableResult static func install() -> Bool { false }
    static func uninstall() {}
}
#endif
