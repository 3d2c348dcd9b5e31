/** Segment documents as X-Ray defines them (REFERENCE.md, "Segment documents"). */

export interface HttpRequestFields {
  method?: string;
  url?: string;
  user_agent?: string;
  client_ip?: string;
  x_forwarded_for?: boolean;
  traced?: boolean;
}

export interface HttpResponseFields {
  status?: number;
  content_length?: number;
}

export interface StackFrame {
  path?: string;
  line?: number;
  label?: string;
}

export interface ExceptionDoc {
  id: string;
  message?: string;
  type?: string;
  remote?: boolean;
  truncated?: number;
  skipped?: number;
  cause?: string;
  stack?: StackFrame[];
}

export type Cause = string | { working_directory?: string; paths?: string[]; exceptions?: ExceptionDoc[] };

export interface SubsegmentDoc {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  namespace?: 'aws' | 'remote' | 'local' | string;
  http?: { request?: HttpRequestFields; response?: HttpResponseFields };
  aws?: Record<string, unknown>;
  sql?: Record<string, unknown>;
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: Cause;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  subsegments?: SubsegmentDoc[];
  precursor_ids?: string[];
  traced?: boolean;
}

export interface SegmentDoc extends SubsegmentDoc {
  trace_id: string;
  parent_id?: string;
  origin?: string;
  user?: string;
  service?: { version?: string };
  /** Present when a subsegment is sent on its own. */
  type?: 'subsegment';
}

export const MAX_SEGMENT_BYTES = 64 * 1024;

/**
 * X-Ray's status semantics for a response: 429 throttle (and error), other 4xx error, 5xx fault (the
 * segment documents' `error`, `throttle` and `fault` flags). Every recorder marks statuses through this.
 */
export function statusFlags(status: number): { error?: true; throttle?: true; fault?: true } {
  if (status === 429) return { error: true, throttle: true };
  if (status >= 400 && status < 500) return { error: true };
  if (status >= 500) return { fault: true };
  return {};
}
