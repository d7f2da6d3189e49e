#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's name as the kernel keeps it: what `ps -L`, `top -H`, gdb and crash
/// reports show, so an operator can tell Tollgate's threads apart.
///
/// Not `Thread.current.name`: on Linux, Foundation applies a name only once `start()` has stored
/// the new thread's handle, which the new thread can outrun, and its getter reads the kernel's
/// name, which Linux copies from the creating thread. A thread named that way may answer with its
/// creator's name (seen as `oot.default-qos`, a dispatch thread's). Name a thread from inside it.
///
/// Through `/proc/thread-self/comm` (proc(5)): `pthread_setname_np` is a GNU extension that
/// Swift's Glibc module does not import.
package enum ThreadName {
    private static let path = "/proc/thread-self/comm"

    /// Names the calling thread; Linux keeps the first 15 bytes.
    package static func set(_ name: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// The calling thread's name.
    package static var current: String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: buffer.prefix(count).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }
}
