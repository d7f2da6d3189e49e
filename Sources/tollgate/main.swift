import TollgateCLI
TollgateCLI.main()
