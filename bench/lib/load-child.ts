/**
 * Runs one load phase in its own process (so the generator's CPU never competes inside the server's
 * event loop): `runLoadInChild(...)` forks this file, sends the options over IPC, gets the result back.
 */
import { closedLoop, openLoop } from './load';

type Job =
  | { kind: 'closed'; opts: Parameters<typeof closedLoop>[0] }
  | { kind: 'open'; opts: Parameters<typeof openLoop>[0] };

process.on('message', async (job: Job) => {
  try {
    const result = job.kind === 'closed' ? await closedLoop(job.opts) : await openLoop(job.opts);
    process.send?.({ ok: true, result });
  } catch (err) {
    process.send?.({ ok: false, error: String((err as Error)?.stack ?? err) });
  }
});
process.send?.({ ready: true });
