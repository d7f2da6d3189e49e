import TollgateCLI

/// `tollgate ARGUMENTS` run in this process, the way `main` runs it, with standard output,
/// standard error and log lines captured: what command tests use. Process tests
/// (``TollgateBinary``) are kept for what needs a process: `serve`, signals, crashes, `exit`.
enum InProcessCLI {
    static func run(_ arguments: [String], environment: [String: String], input: Input = .none) -> TollgateBinary.Result {
        let captured = CapturedOutput()
        let status = TollgateCLI.run(arguments, environment: environment, output: captured.output, input: input)
        return TollgateBinary.Result(status: status, standardOutput: captured.standardOutput, standardError: captured.standardError)
    }
}
