// tollgate-bench-check: times `EntitlementSnapshot.check` on a realistic snapshot and counts
// the heap allocations it makes. Prints one JSON object. Build in release:
//   swift build -c release --scratch-path .build-lib --product tollgate-bench-check
BenchCheck.run(arguments: CommandLine.arguments)
