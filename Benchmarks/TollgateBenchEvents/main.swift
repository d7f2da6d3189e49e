import Foundation

await BenchEvents.main()
