import Foundation

BenchWebhooks.main()
