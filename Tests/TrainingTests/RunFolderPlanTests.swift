import Training
import XCTest

/// ``RunFolderPlan``: what a start does with what its run folder holds, without files.
final class RunFolderPlanTests: XCTestCase {
    private let config = TrainingConfig()

    private func decide(_ contents: RunFolderContents, _ given: TrainingConfig? = nil, policy: ResumePolicy = .auto) throws -> RunFolderPlan {
        try RunFolderPlan.decide(folder: "runs/job", contents: contents, config: given ?? config, policy: policy)
    }

    func testAnEmptyFolderStartsAfresh() throws {
        XCTAssertEqual(try decide(RunFolderContents()), .fresh)
        XCTAssertEqual(try decide(RunFolderContents(), policy: .never), .fresh)
        // Killed before its first checkpoint: nothing to continue.
        XCTAssertEqual(try decide(RunFolderContents(recorded: config)), .fresh)
    }

    func testCheckpointsOfTheSameConfigurationResumeAndAFinishedRunIsLeftAlone() throws {
        XCTAssertEqual(try decide(RunFolderContents(recorded: config, checkpointSteps: [10, 20])), .resume)
        XCTAssertEqual(try decide(RunFolderContents(recorded: config, checkpointSteps: [20], hasModel: true, hasMetrics: true)), .finished)
        // Launch settings and threads may differ between starts of one run.
        var launch = config
        launch.threads = 7
        launch.statusPort = 9090
        launch.transportSecurity = "plain"
        launch.out = "elsewhere"
        XCTAssertEqual(try decide(RunFolderContents(recorded: config, checkpointSteps: [10]), launch), .resume)
    }

    func testAnotherConfigurationIsRefusedNamingTheKeys() {
        var given = config
        given.epochs = 30
        given.learningRate = 0.01
        XCTAssertThrowsError(try decide(RunFolderContents(recorded: config, checkpointSteps: [10]), given)) { error in
            guard case .differentConfiguration(_, let differences) = error as? RunFolderConflict else { return XCTFail("\(error)") }
            XCTAssertEqual(differences.map(\.key), ["epochs", "learning_rate"])
            XCTAssertTrue("\(error)".contains("epochs: recorded '20', given '30'"), "\(error)")
        }
    }

    func testNeverRefusesAFolderHoldingARun() {
        XCTAssertThrowsError(try decide(RunFolderContents(recorded: config, checkpointSteps: [10]), policy: .never))
        XCTAssertThrowsError(try decide(RunFolderContents(recorded: config, checkpointSteps: [10], hasModel: true, hasMetrics: true), policy: .never))
    }

    func testFoldersACifakeRunDidNotFinishWritingAreRefused() {
        XCTAssertThrowsError(try decide(RunFolderContents(checkpointSteps: [10]))) {
            XCTAssertEqual($0 as? RunFolderConflict, .notARun(folder: "runs/job"))
        }
        XCTAssertThrowsError(try decide(RunFolderContents(recorded: config, checkpointSteps: [10], hasModel: true))) {
            XCTAssertEqual($0 as? RunFolderConflict, .unfinishedEnd(folder: "runs/job"))
        }
    }

    func testTheDefaultRunFolderIsNamedByTheJobNotTheClock() {
        XCTAssertEqual(TrainingRun.defaultFolder(config, configPath: "Config/cnn2d-d4096.yaml"), "runs/cnn2d-d4096")
        XCTAssertEqual(TrainingRun.defaultFolder(config, configPath: "/etc/cifake/config.yaml", environment: ["CIFAKE_JOB": "nightly"]), "runs/nightly")
        XCTAssertEqual(TrainingRun.defaultFolder(config, environment: ["CIFAKE_JOB": "../x"]), "runs/..-x")
        XCTAssertEqual(TrainingRun.defaultFolder(config), "runs/cnn2d-d32")
    }

    func testTheResumePolicyIsAValidatedKey() {
        var bad = config
        bad.resume = "sometimes"
        XCTAssertTrue(bad.problems().contains { $0.hasPrefix("resume: found 'sometimes'") }, "\(bad.problems())")
    }
}
