// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cifake",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cifake", targets: ["cifake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // The logging API (a small package of its own: about 10 s of a release build here); our
        // own handler prints the lines (Sources/Logs).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries from Debian's packages: one system-library target each,
        // wrapped by exactly one Swift file.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),

        // Seedable randomness shared by every module (init, shuffling, dropout, synthetic data).
        .target(name: "Randomness"),
        // Numerical kernels: every op's forward and backward, with a naive twin.
        .target(name: "Kernels", dependencies: ["COpenBLAS", "Randomness"]),
        // Architectures, the flat parameter buffer, initialisation, Adam.
        .target(name: "Model", dependencies: ["Checksums", "Kernels", "Randomness"]),
        // JPEG and PNG encode/decode.
        .target(name: "ImageCodecs", dependencies: ["CTurboJPEG", "CPNG"]),
        // CIFAKE folders, packed files, synthetic set, batching.
        .target(name: "Dataset", dependencies: ["Checksums", "ImageCodecs", "Randomness", "Storage"]),
        // The one content hash (XXH64) and the one hex formatter: a leaf every module may use.
        .target(name: "Checksums"),
        // Timestamped, levelled log lines labelled with role, rank and generation: swift-log's
        // handler for every process, on standard error.
        .target(name: "Logs", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Atomic file writes and whole-file reads.
        .target(name: "Storage"),
        // SIGTERM and SIGINT as a stop request a loop checks between steps, with a grace period.
        .target(name: "Signals"),
        // Metrics (pure), ROC.
        .target(name: "Evaluation"),
        // RGB8 rasters (pure): drawing, text, colormaps, heatmaps, plots. Encoding is ImageCodecs' job.
        .target(name: "Imaging"),
        // Checkpoints: weights, Adam's moments and resume state in one verified safetensors file;
        // the run folder's checkpoints/ with retention and latest/best pointers.
        .target(name: "Checkpoints", dependencies: ["Checksums", "Model", "Kernels", "Storage"]),
        // A run's report (pure): the HTML page and its figures from metrics, history and Grad-CAM.
        .target(name: "Reporting", dependencies: ["Evaluation", "Imaging", "Randomness"]),
        // Gradient compression for the ring (pure but for BLAS): the methods, bf16 is in Collective's
        // wire format; PowerSGD's low-rank factors with error feedback; auto's choice.
        .target(name: "CLowRank"),
        .target(name: "Compression", dependencies: ["CLowRank", "Model", "Kernels", "Randomness"]),
        // The single-process training loop and its configuration; a run folder's report.
        .target(name: "Training", dependencies: [
            "Compression", "Model", "Dataset", "Evaluation", "Storage", "Coordination", "Checkpoints", "Reporting", "Explanation", "ImageCodecs",
            "Signals", "Logs", "Status", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
        ]),
        // Non-temporal copies (SSE2 streaming stores), in C: Swift has no way to emit them.
        .target(name: "CStreamingStores"),
        // Ring all-reduce schedule (pure) and its execution over an abstract link.
        .target(name: "Collective", dependencies: ["CStreamingStores"]),
        // Pure state machines: rendezvous, membership, generations, heartbeats, checksum agreement.
        .target(name: "Coordination", dependencies: ["Checksums"]),
        // Control-message frames and their codecs (magic, version, kind, generation, length): the
        // cluster's messages and a benchmark's rank control.
        .target(name: "Wire", dependencies: ["Checksums", "Coordination"]),
        // The only code that touches ZeroMQ.
        .target(name: "Transport", dependencies: ["CZeroMQ", "Collective"]),

        // The git revision of the build (generated before every build by the plugin below);
        // only the executable imports it, so a new commit recompiles nothing else.
        .target(name: "BuildRevision", plugins: ["GitRevision"]),
        .plugin(name: "GitRevision", capability: .buildTool()),

        // The status HTTP server (/healthz, /status, /metrics): POSIX sockets, one thread polling them all;
        // the exposition, histograms and process metrics it serves, and the program's identity.
        .target(name: "Status"),

        // Class activation maps (Grad-CAM, Grad-CAM++, HiResCAM, LayerCAM): why the detector calls
        // an image FAKE or REAL; their localisation scores (pure).
        .target(name: "Explanation", dependencies: ["Model", "Kernels", "Imaging"]),
        // `cifake bench cluster`'s pure parts: host names, link counters, derived configuration, the figures.
        .target(name: "ClusterBench", dependencies: ["Coordination"]),
        // The process shells: coordinator, worker, local launcher. The only code that combines
        // sockets, files and the training loop.
        .target(name: "Cluster", dependencies: ["Signals", "Compression", "Training", "Checkpoints", "Coordination", "Wire", "Transport", "Collective", "Storage", "Evaluation", "Status", "Logs", .product(name: "Logging", package: "swift-log")]),

        .executableTarget(name: "cifake", dependencies: [
            "Cluster", "Explanation", "ImageCodecs", "Imaging", "Status", "Signals", "Storage",
            "Training", "Dataset", "Evaluation", "Model", "Kernels", "Collective", "Compression", "Transport", "Coordination", "ClusterBench",
            "Wire", "Checksums", "Logs", "BuildRevision", .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Model", "Kernels", "Storage"]),
        .testTarget(name: "DatasetTests", dependencies: ["Dataset", "ImageCodecs", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Randomness"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Evaluation", "Imaging"]),
        // Finding the package, ../shared and the built executable; running real processes.
        // Seeded mutations and the fuzz loop that prints its seed.
        .target(name: "TestSupport", dependencies: ["ImageCodecs", "Randomness"], path: "Tests/TestSupport"),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "TestSupport"]),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "SignalsTests", dependencies: ["Signals"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Coordination", "Explanation", "Model", "Dataset", "Storage", "Evaluation", "ImageCodecs", "Checkpoints", "TestSupport"]),
        .testTarget(name: "ExplanationTests", dependencies: ["Explanation", "Training", "Dataset", "Model", "Kernels", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Training", "Model", "Storage", "Checkpoints", "TestSupport", "Wire", "Transport", "Cluster"]),
        .testTarget(name: "CollectiveTests", dependencies: ["Collective", "Transport"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "Collective", "Model", "Kernels"]),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "Coordination", "Randomness", "TestSupport"]),
        // Seeded, bounded fuzzing of every decoder of outside input: safetensors and checkpoints,
        // packed data, YAML configuration (the wire codec's is in WireTests). Tests/Fuzz/ holds
        // the coverage-guided libFuzzer harness, which CI does not build.
        .testTarget(name: "FuzzTests", dependencies: ["Checkpoints", "Model", "Kernels", "Dataset", "Training", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Collective"]),
        .testTarget(name: "StatusTests", dependencies: ["Status", "Randomness", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage"]),
        .testTarget(name: "LogsTests", dependencies: ["Logs", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ClusterBenchTests", dependencies: ["ClusterBench", "Coordination"]),
        .testTarget(name: "ChecksumsTests", dependencies: ["Checksums"]),
    ]
)
