import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATIONS_DIR_VARIABLE, type FileDuration, seconds } from '../test/support/durations';

/** One command of a lane: a Node script and its arguments. */
export interface Step {
  /** What the step is, as the output names it. */
  title: string;
  node: string;
  args: string[];
  /**
   * Runs at this niceness (19: only on CPU nothing else wants), for work beside a lane whose figures a
   * busy machine would change.
   */
  nice?: number;
}

/** Steps run one after another; the lanes of a phase run at the same time. */
export interface Lane {
  name: string;
  steps: Step[];
}

export interface StepResult {
  lane: string;
  title: string;
  code: number | null;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  /** Where each step's output goes, one whole block per step (default: stdout). */
  write?: (block: string) => void;
  /** How often a line says which lanes still run (default a minute), so a quiet log is not a hang. */
  heartbeatMs?: number;
}

function runStep(lane: string, step: Step, cwd: string, durationsDir: string) {
  const started = Date.now();
  return new Promise<StepResult & { output: string }>((done) => {
    const child = spawn(step.node, step.args, {
      cwd,
      env: { ...process.env, [DURATIONS_DIR_VARIABLE]: durationsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (step.nice !== undefined && child.pid !== undefined) setPriority(child.pid, step.nice);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const finish = (code: number | null, extra = '') =>
      done({
        lane,
        title: step.title,
        code,
        ms: Date.now() - started,
        output: Buffer.concat(chunks).toString() + extra,
      });
    child.on('error', (err) => finish(null, `\n${err.message}`));
    child.on('close', (code) => finish(code));
  });
}

/**
 * Runs the phases in order, the lanes of each side by side. Each step's output is captured and written
 * as one block when the step ends, so lanes never interleave their lines. Every step runs even when an
 * earlier one failed: one run shows every failure. The rows the durations reporter wrote come back too.
 */
export async function runPhases(
  phases: Lane[][],
  options: RunOptions,
): Promise<{ results: StepResult[]; durations: FileDuration[] }> {
  const write = options.write ?? ((block: string) => process.stdout.write(block));
  const durationsDir = mkdtempSync(join(tmpdir(), 'parcel-test-durations-'));
  const results: StepResult[] = [];
  try {
    for (const lanes of phases) {
      const phaseStarted = Date.now();
      write(`\n▶ ${lanes.map((l) => l.name).join(' | ')}\n`);
      const running = new Set(lanes.map((l) => l.name));
      const heartbeat = setInterval(
        () => write(`… ${seconds(Date.now() - phaseStarted)}: ${[...running].join(', ')} still running\n`),
        options.heartbeatMs ?? 60_000,
      );
      const laneResults = await Promise.all(
        lanes.map(async (lane) => {
          const mine: StepResult[] = [];
          for (const step of lane.steps) {
            const { output, ...result } = await runStep(lane.name, step, options.cwd, durationsDir);
            const mark = result.code === 0 ? '✔' : '✗';
            write(
              `\n━━ ${lane.name} ━━ ${step.title}\n${output.trimEnd()}\n━━ ${mark} ${lane.name}: ${step.title} (${seconds(result.ms)}, exit ${result.code})\n`,
            );
            mine.push(result);
          }
          running.delete(lane.name);
          return mine;
        }),
      );
      clearInterval(heartbeat);
      results.push(...laneResults.flat());
    }
    const durations = readdirSync(durationsDir).flatMap(
      (f) => JSON.parse(readFileSync(join(durationsDir, f), 'utf8')) as FileDuration[],
    );
    return { results, durations };
  } finally {
    rmSync(durationsDir, { recursive: true, force: true });
  }
}

/** Each step's wall time and outcome, then the verdict. */
export function formatSteps(results: readonly StepResult[], totalMs: number): string {
  const width = Math.max(...results.map((r) => r.lane.length));
  const lines = ['', 'Steps (wall time):'];
  for (const r of results) {
    lines.push(
      `  ${r.code === 0 ? '✔' : '✗'} ${seconds(r.ms).padStart(8)}  ${r.lane.padEnd(width)}  ${r.title}`,
    );
  }
  const failed = results.filter((r) => r.code !== 0).length;
  lines.push('', `${failed === 0 ? 'All passed' : `${failed} step(s) failed`} in ${seconds(totalMs)}.`);
  return lines.join('\n');
}
