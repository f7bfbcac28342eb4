import Logging
import Logs

/// This process's logger: swift-log, bootstrapped in `Cifake.main` with the role of the
/// subcommand (see ``Logs/ProcessLog``).
let log = ProcessLog.logger()
