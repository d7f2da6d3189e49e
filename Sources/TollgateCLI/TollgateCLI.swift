public enum TollgateCLI { public static func main() {} }
