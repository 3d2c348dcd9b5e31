import { currentStore } from '../context';
import type { SqlFields } from '../span';

interface PgClient {
  database?: string;
  host?: string;
  port?: number;
  user?: string;
  connectionParameters?: { user?: string; host?: string; port?: number; database?: string };
  __serverVersion?: string;
}
type QueryFn = (this: PgClient, ...args: unknown[]) => unknown;
interface PgModule {
  Client: {
    prototype: {
      query: QueryFn;
      _attachListeners?: (this: PgClient, con: { on(e: string, f: (m: unknown) => void): void }) => void;
      __parcelCapture?: boolean;
    };
  };
}

/**
 * `sql` subsegment per `Client.query` (pools query through clients): `sanitized_query` is the statement
 * text (every query here is parameterised, so it carries no values), `database_type`, the server's
 * `database_version` (from its startup parameters), `driver_version`, `user`, `url` without password.
 */
export function capturePg(pgModule: unknown, driverVersion?: string): void {
  const pg = pgModule as PgModule;
  const proto = pg.Client?.prototype;
  if (!proto || proto.__parcelCapture) return;
  proto.__parcelCapture = true;
  const driver = driverVersion === undefined ? undefined : `node-postgres ${driverVersion}`;
  const attach = proto._attachListeners;
  if (attach) {
    proto._attachListeners = function (this: PgClient, con) {
      attach.call(this, con);
      con.on('parameterStatus', (msg) => {
        const m = msg as { parameterName?: string; parameterValue?: string };
        if (m.parameterName === 'server_version') this.__serverVersion = m.parameterValue;
      });
    };
  }
  const query = proto.query;
  proto.query = function (this: PgClient, ...args: unknown[]) {
    const parent = currentStore()?.span;
    if (parent?.id === undefined) return query.apply(this, args);
    const params = this.connectionParameters ?? this;
    const database = params.database ?? this.database;
    const host = params.host ?? this.host;
    const sub = parent.startChild(`${database}@${host}`, 'remote');
    const first = args[0] as string | { text?: string; name?: string } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    const sql: SqlFields = {
      url: `postgresql://${host}:${params.port ?? this.port}/${database}`,
      database_type: 'PostgreSQL',
    };
    if (this.__serverVersion) sql.database_version = this.__serverVersion;
    if (driver) sql.driver_version = driver;
    if (params.user ?? this.user) sql.user = params.user ?? this.user;
    if (typeof first === 'object' && first?.name) sql.preparation = 'statement';
    if (typeof text === 'string') sql.sanitized_query = text.slice(0, 4000);
    sub.setSql(sql);
    const done = (err: unknown) => {
      if (err) {
        sub.noteDownstreamFailure();
        sub.recordException(err, { remote: true });
      }
      sub.end();
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = function (this: unknown, err: unknown, result: unknown) {
        done(err);
        return (callback as (...a: unknown[]) => unknown).call(this, err, result);
      };
      return query.apply(this, args);
    }
    if (
      typeof first === 'object' &&
      first &&
      typeof (first as { callback?: unknown }).callback === 'function'
    ) {
      const q = first as { callback: (...a: unknown[]) => unknown };
      const cb = q.callback;
      q.callback = function (this: unknown, err: unknown, result: unknown) {
        done(err);
        return cb.call(this, err, result);
      };
      return query.apply(this, args);
    }
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (err) {
      done(err);
      throw err;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => done(undefined),
        (err: unknown) => done(err),
      );
    } else if (result && typeof (result as { on?: unknown }).on === 'function') {
      // A Submittable (pg-cursor, pg-query-stream): ends on 'end' or 'error'.
      const emitter = result as { once(e: string, f: (x?: unknown) => void): void };
      emitter.once('end', () => done(undefined));
      emitter.once('error', (err) => done(err));
    } else {
      sub.end();
    }
    return result;
  };
}
