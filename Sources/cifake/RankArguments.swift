import ArgumentParser

/// The arguments `RankLauncher` gives every rank process it starts.
struct RankArguments: ParsableArguments {
    @Option(help: "The coordinator's ROUTER endpoint.")
    var coordinator: String

    @Option(help: "This rank.")
    var rank: Int
}
