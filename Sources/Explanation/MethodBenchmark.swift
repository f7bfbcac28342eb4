/// One method's figures on the localisation benchmark: FAKE images whose artefact box is known,
/// explained as FAKE by the trained model and by the same model with randomised weights
/// (Adebayo et al. 2018's model-randomisation test), and the share of non-empty maps when each
/// test image is explained as its predicted class, as the report's gallery does.
public struct MethodBenchmark: Sendable, Equatable, Codable {
    public var method: CAMMethod
    /// Mean energy in the box (see `LocalisationScore.energy`), trained and randomised weights.
    public var trainedEnergy: Double
    public var randomEnergy: Double
    /// Mean pointing-game score, trained and randomised weights.
    public var trainedPointing: Double
    public var randomPointing: Double
    /// What a uniform (or empty) map scores: the boxes' mean area share.
    public var chance: Double
    /// Mean Spearman correlation of each image's trained and randomised maps (13x13 grid).
    public var rankCorrelation: Double
    /// Share of FAKE images whose FAKE map (trained weights) is not empty.
    public var nonEmptyFakeTarget: Double
    /// Share of non-empty maps for the predicted class, REAL and FAKE test images apart.
    public var nonEmptyReal: Double
    public var nonEmptyFake: Double

    public init(method: CAMMethod, trainedEnergy: Double, randomEnergy: Double, trainedPointing: Double, randomPointing: Double,
                chance: Double, rankCorrelation: Double, nonEmptyFakeTarget: Double, nonEmptyReal: Double, nonEmptyFake: Double) {
        self.method = method
        self.trainedEnergy = trainedEnergy
        self.randomEnergy = randomEnergy
        self.trainedPointing = trainedPointing
        self.randomPointing = randomPointing
        self.chance = chance
        self.rankCorrelation = rankCorrelation
        self.nonEmptyFakeTarget = nonEmptyFakeTarget
        self.nonEmptyReal = nonEmptyReal
        self.nonEmptyFake = nonEmptyFake
    }

    /// Trained minus randomised energy in the box: what the map owes to what the model learned.
    public var separation: Double { trainedEnergy - randomEnergy }

    /// Flagged when the map survives randomised weights: the randomised model keeps more than
    /// half of the trained model's energy above chance, or the trained and randomised maps rank
    /// their cells alike (mean Spearman above 0.5); or when the trained map is not above chance.
    public var survivesRandomisation: Bool {
        let above = trainedEnergy - chance
        return above <= 0 || randomEnergy - chance > 0.5 * above || rankCorrelation > 0.5
    }

    /// Rarely empty: at least 95% non-empty maps for each class.
    public var rarelyEmpty: Bool { min(nonEmptyReal, nonEmptyFake) >= 0.95 }

    /// The method to use by default: among those neither flagged nor often empty in any of
    /// `conditions` (each a list of every method's figures), the one with the most energy in the
    /// box on average over the conditions (nil when none qualifies).
    public static func choose(_ conditions: [[MethodBenchmark]]) -> CAMMethod? {
        var best: (method: CAMMethod, energy: Double)?
        for method in CAMMethod.allCases {
            let figures = conditions.compactMap { $0.first { $0.method == method } }
            guard !figures.isEmpty, figures.allSatisfy({ !$0.survivesRandomisation && $0.rarelyEmpty }) else { continue }
            let energy = figures.map(\.trainedEnergy).reduce(0, +) / Double(figures.count)
            if best.map({ energy > $0.energy }) ?? true { best = (method, energy) }
        }
        return best?.method
    }
}
