import type { Cause, ExceptionDoc, StackFrame } from '@parcel/xray-protocol';
import { newSegmentId } from '@parcel/xray-protocol';

const MAX_FRAMES = 10;
const FRAME = /^\s*at (?:(.*?) \()?(.*?)(?::(\d+):\d+)?\)?$/;

/** Stack frames as the X-Ray SDK writes them (`path`, `line`, `label`); only on the error path. */
function framesOf(stack: string | undefined): StackFrame[] {
  if (!stack) return [];
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    if (!line.startsWith('    at ')) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const location = m[2] ?? '';
    const internal = location.startsWith('node:') || !location.includes('/');
    frames.push({
      path: internal ? 'node' : location.replace(/^file:\/\//, ''),
      line: m[3] ? Number(m[3]) : (null as unknown as number),
      label: m[1] ?? (internal ? location : 'anonymous'),
    });
    if (frames.length >= MAX_FRAMES) break;
  }
  return frames;
}

/** The `cause` of a failed (sub)segment: the working directory and the exception with its stack. */
export function causeOf(err: unknown, remote: boolean): Cause {
  const e =
    err instanceof Error
      ? err
      : typeof err === 'string'
        ? { name: 'Error', message: err, stack: undefined }
        : { name: 'Error', message: safeString(err), stack: undefined };
  const exception: ExceptionDoc = {
    id: newSegmentId(),
    message: String(e.message ?? '').slice(0, 2000),
    type: e.name || 'Error',
    remote,
    stack: framesOf(e.stack),
  };
  return { working_directory: process.cwd(), exceptions: [exception] };
}

function safeString(value: unknown): string {
  try {
    return `non-Error thrown: ${JSON.stringify(value)}`;
  } catch {
    return 'non-Error thrown';
  }
}
