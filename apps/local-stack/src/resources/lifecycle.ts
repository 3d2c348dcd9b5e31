import { createLogger } from '@parcel/tracing/logger';

/** Tells the launcher (over IPC) that this piece is ready, and logs it in every piece's log shape. */
export function announceReady(service: string, message: { url: string }, text: string): void {
  createLogger({ service }).info(message, text);
  process.send?.({ ready: true, ...message });
}

/** Runs `close` once on SIGTERM/SIGINT (or when the launcher goes away), then exits. */
export function stopOnSignal(close: () => Promise<void>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}
