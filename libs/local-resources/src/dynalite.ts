import { bind, reachableHost } from '@parcel/http-service';
import dynalite from 'dynalite';

export interface StartDynaliteOptions {
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /**
   * How long a new table stays CREATING before ACTIVE. Real DynamoDB takes seconds; a short non-zero
   * delay keeps callers honest about waiting for ACTIVE without slowing tests down.
   */
  createTableMs?: number;
}

export interface RunningDynalite {
  /** `http://host:port`, the `endpoint` for a DynamoDB client. */
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite (a real DynamoDB API over HTTP) with an in-memory store. */
export async function startDynalite(opts: StartDynaliteOptions = {}): Promise<RunningDynalite> {
  const host = opts.host ?? '127.0.0.1';
  const delay = opts.createTableMs ?? 50;
  const server = dynalite({ createTableMs: delay, deleteTableMs: delay, updateTableMs: delay });
  const port = await bind(server, opts.port ?? 0, host);
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${reachableHost(host)}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
