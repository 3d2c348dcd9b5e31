/** What the shutdown path logs through (a pino logger fits). */
export interface ShutdownLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * A service process's shutdown: on the first SIGTERM or SIGINT, log `message`, run `close` (stop accepting,
 * drain) and exit 0, or 1 when closing failed. Later signals are ignored, so a second Ctrl-C cannot cut a
 * drain short.
 */
export function closeOnSignals(
  close: () => Promise<void>,
  logger: ShutdownLogger,
  message = 'stopping',
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, message);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, stop);
}
