// Collective module
