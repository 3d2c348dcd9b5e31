import type { Logger } from 'pino';

/**
 * Logs a recurring problem at most once per `intervalMs` per key, saying how many were suppressed in
 * between: a flood of garbage datagrams must not become a flood of log lines.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.logger.warn({ ...fields, suppressedSinceLast: entry?.suppressed ?? 0 }, message);
    this.last.set(key, { at: t, suppressed: 0 });
  }
}
