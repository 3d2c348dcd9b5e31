// Loaded (`--import`) into every piece the launcher starts: when the launcher goes away, however it died,
// the IPC channel closes and the piece stops itself through its own SIGTERM handler. No orphans.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
// The channel alone must not keep a process alive: a one-off step (warehouse-migrate) exits when its work
// is done, and a piece stays up because its servers do.
process.channel?.unref();
