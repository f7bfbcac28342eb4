/// Where each optimizer step of a run falls and what follows it: its epoch, its place in the
/// epoch, whether it ends the epoch or the run, and whether a checkpoint of its result is due.
/// The single process and every cluster worker run their loops from it, so the cadence is one rule.
///
/// Steps have two numbers. A step's `index` counts the steps before it (0-based; what the wire's
/// step reports, `Trainer.step` and a stop's `finished(step:)` use); its `number` counts the steps
/// done once it completes (1-based; what people, checkpoints and `Trainer.globalStep` use).
public struct StepPlan: Sendable, Equatable {
    public let epochs: Int
    public let stepsPerEpoch: Int
    /// A checkpoint after every this many steps (0: at epoch ends and the last step only).
    public let checkpointEvery: Int
    /// The index of the last step to run when the run ends before its last epoch does (early
    /// stopping, a graceful stop); nil: the run's last step.
    public var finishAfter: Int?

    public init(epochs: Int, stepsPerEpoch: Int, checkpointEvery: Int, finishAfter: Int? = nil) {
        precondition(epochs >= 0 && stepsPerEpoch > 0 && checkpointEvery >= 0, "a step plan needs epochs >= 0, steps per epoch > 0, checkpoint_every >= 0")
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.checkpointEvery = checkpointEvery
        self.finishAfter = finishAfter
    }

    /// The plan of a run of `config` with `stepsPerEpoch` global batches per epoch.
    public init(config: TrainingConfig, stepsPerEpoch: Int) {
        self.init(epochs: config.epochs, stepsPerEpoch: stepsPerEpoch, checkpointEvery: config.checkpointEvery)
    }

    /// Steps in the whole run, without early stopping.
    public var totalSteps: Int { epochs * stepsPerEpoch }

    /// The index of the last step to run (-1 when there is none).
    public var lastIndex: Int { min(totalSteps - 1, finishAfter ?? .max) }

    /// Whether the step of `index` is still to run.
    public func runs(_ index: Int) -> Bool { index >= 0 && index <= lastIndex }

    /// One step of the plan.
    public struct Step: Sendable, Equatable {
        /// Steps before this one (0-based).
        public let index: Int
        /// The epoch it belongs to (0-based).
        public let epoch: Int
        /// Its place in the epoch, the data cursor (0-based).
        public let inEpoch: Int
        /// It completes its epoch: validation, a history record and a checkpoint follow.
        public let isEpochEnd: Bool
        /// It is the last step to run (the run's, or early stopping's).
        public let isLast: Bool
        /// The state after it is to be checkpointed: every `checkpoint_every` steps, at epoch
        /// ends and after the last step.
        public let checkpointDue: Bool

        /// Steps done once it completes (1-based): the step checkpoints and people name.
        public var number: Int { index + 1 }
        /// Its epoch as people count them (1-based).
        public var epochNumber: Int { epoch + 1 }
        /// It begins its epoch (the epoch's sample order is needed).
        public var startsEpoch: Bool { inEpoch == 0 }
    }

    /// The step of `index` (0-based).
    public func step(_ index: Int) -> Step {
        let number = index + 1
        let isEpochEnd = number % stepsPerEpoch == 0
        let isLast = index == lastIndex
        let cadence = checkpointEvery > 0 && number % checkpointEvery == 0
        return Step(index: index, epoch: index / stepsPerEpoch, inEpoch: index % stepsPerEpoch, isEpochEnd: isEpochEnd, isLast: isLast,
                    checkpointDue: isEpochEnd || isLast || cadence)
    }
}
