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
    public var gallery: [GalleryItem]
    /// How the gallery was chosen, e.g. "8 REAL and 8 FAKE test images, seed 0".
    public var galleryDescription: String
    /// Things the reader should know (a missing history, a missing test set ...).
    public var notes: [String]

    public init(title: String, runName: String, details: [(name: String, value: String)] = [], metrics: ClassificationReport,
                curves: TrainingCurves = TrainingCurves(), gallery: [GalleryItem] = [], galleryDescription: String = "",
                notes: [String] = []) {
        self.title = title
        self.runName = runName
        self.details = details
        self.metrics = metrics
        self.curves = curves
        self.gallery = gallery
        self.galleryDescription = galleryDescription
        self.notes = notes
    }
}
