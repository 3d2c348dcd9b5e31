import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHED_APPS } from '@parcel/local-stack';
import { describe, expect, it } from 'vitest';
import { useSharedStack } from './support/shared-stack';

const stack = useSharedStack();

/** Every piece's log file (`<state>/logs/<piece>.log`), as `npm start` leaves them. */
function pieceLogs(): Map<string, string[]> {
  const dir = join(stack.stateDir, 'logs');
  return new Map(
    readdirSync(dir)
      .filter((file) => file.endsWith('.log'))
      .map((file) => [
        file.slice(0, -'.log'.length),
        readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean),
      ]),
  );
}

describe('one voice in the logs', () => {
  it('every piece writes one JSON shape: label level, ISO time, its service name (EMF metrics aside)', async () => {
    // A miss and a hit: request lines from the services, with their trace ids.
    for (let i = 0; i < 2; i++) await fetch(`${stack.endpoints.gateway}/parcels/RR123456785GB`);
    const logs = pieceLogs();
    expect([...logs.keys()]).toEqual(expect.arrayContaining([...LAUNCHED_APPS, 'dynamodb', 'postgres']));
    for (const [piece, lines] of logs) {
      expect(lines.length, piece).toBeGreaterThan(0);
      for (const line of lines) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`${piece} wrote a line that is not JSON: ${line}`);
        }
        // An EMF document (the services' metrics, @parcel/metrics) is a metric for CloudWatch Logs to
        // extract, not a log line: it has its own shape ("Specification: Embedded metric format").
        const emf = parsed._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
        if (emf !== undefined) {
          expect(typeof emf.Timestamp, `${piece}: ${line}`).toBe('number');
          expect(Array.isArray(emf.CloudWatchMetrics), `${piece}: ${line}`).toBe(true);
          continue;
        }
        expect(parsed, `${piece}: ${line}`).toMatchObject({
          level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/),
          time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          service: expect.any(String),
          msg: expect.any(String),
        });
      }
    }
  });

  it("no piece repeats the AWS SDK's Node-version warning (the launcher says it once)", () => {
    for (const [piece, lines] of pieceLogs()) {
      expect(
        lines.filter((line) => line.includes('NodeVersionSupportWarning')),
        piece,
      ).toEqual([]);
    }
  });
});
