/// The git revision this executable was built from: `id`, generated before every build by the
/// GitRevision plugin (Plugins/GitRevision). Only the executable imports it, so a new commit
/// recompiles this module and the executable, nothing else.
public enum BuildRevision {}
