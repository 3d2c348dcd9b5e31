// Loaded (`--import`) into every piece the launcher starts: when the launcher goes away, however it died,
// the IPC channel closes and the piece stops itself through its own SIGTERM handler. No orphans.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
