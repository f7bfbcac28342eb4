import Evaluation

/// Everything a run's report shows, already read from the run folder and computed.
public struct ReportInput: Sendable {
    /// The page's heading, e.g. "CNN2D D=32".
    public var title: String
    /// The run folder's name.
    public var runName: String
    /// Facts about the run, in order (model, data, epochs, configuration keys ...).
    public var details: [(name: String, value: String)]
    /// The kept model on the test split.
    public var metrics: ClassificationReport
    public var curves: TrainingCurves
    /// Per-step values (`steps.jsonl`); empty for runs that predate it.
    public var steps: StepCurves
    /// The kept model's scores on the whole test split; nil when they could not be computed.
    public var predictions: TestPredictions?
    /// The most confident mistakes, explained: REAL called FAKE first, then FAKE called REAL.
    public var mistakes: [GalleryItem]
    public var gallery: [GalleryItem]
    /// How the gallery was chosen, e.g. "8 REAL and 8 FAKE test images, seed 0".
    public var galleryDescription: String
    /// Things the reader should know (a missing history, a missing test set ...).
    public var notes: [String]

    public init(title: String, runName: String, details: [(name: String, value: String)] = [], metrics: ClassificationReport,
                curves: TrainingCurves = TrainingCurves(), steps: StepCurves = StepCurves(), predictions: TestPredictions? = nil,
                gallery: [GalleryItem] = [], mistakes: [GalleryItem] = [], galleryDescription: String = "", notes: [String] = []) {
        self.title = title
        self.runName = runName
        self.details = details
        self.metrics = metrics
        self.curves = curves
        self.steps = steps
        self.predictions = predictions
        self.mistakes = mistakes
        self.gallery = gallery
        self.galleryDescription = galleryDescription
        self.notes = notes
    }
}
