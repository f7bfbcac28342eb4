import Imaging

/// One picture of the report (an explained image): a PNG file beside `index.html`, and what it shows.
public struct ReportFigure: Sendable {
    /// A plain file name (no folders), e.g. "gradcam-01.png".
    public var fileName: String
    public var raster: Raster
    /// Alternative text for the page.
    public var altText: String

    public init(fileName: String, raster: Raster, altText: String) {
        self.fileName = fileName
        self.raster = raster
        self.altText = altText
    }
}
