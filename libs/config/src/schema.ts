/**
 * A small typed reader for environment variables: each service declares its variables once, reads them
 * once at start-up, and fails with one error that names every missing or invalid variable.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Field<T> {
  readonly variable: string;
  readonly description: string;
  /** Default as the environment would spell it; shown in docs and applied when the variable is unset. */
  readonly defaultValue?: string;
  parse(raw: string): T;
}

type Opts = { description: string; default?: string };

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function field<T>(variable: string, opts: Opts, parse: (raw: string) => T): Field<T> {
  return { variable, description: opts.description, defaultValue: opts.default, parse };
}

export const str = (variable: string, opts: Opts): Field<string> =>
  field(variable, opts, (raw) => {
    if (raw.length === 0) throw new Error('must not be empty');
    return raw;
  });

export const optionalStr = (variable: string, opts: Opts): Field<string | undefined> =>
  field(variable, { ...opts, default: opts.default ?? '' }, (raw) => (raw === '' ? undefined : raw));

export const int = (variable: string, opts: Opts & { min?: number; max?: number }): Field<number> =>
  field(variable, opts, (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new Error(`must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (opts.min !== undefined && n < opts.min) throw new Error(`must be ≥ ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new Error(`must be ≤ ${opts.max}, got ${n}`);
    return n;
  });

export const port = (variable: string, opts: Opts): Field<number> =>
  int(variable, { ...opts, min: 0, max: 65535 });

export const url = (variable: string, opts: Opts): Field<string> =>
  field(variable, opts, (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`must be an absolute URL, got "${raw}"`);
    }
    if (!['http:', 'https:', 'postgres:', 'postgresql:'].includes(parsed.protocol)) {
      throw new Error(`must be an http(s) or postgres URL, got "${raw}"`);
    }
    return raw.replace(/\/$/, '');
  });

export const optionalUrl = (variable: string, opts: Opts): Field<string | undefined> => {
  const inner = url(variable, opts);
  return field(variable, { ...opts, default: opts.default ?? '' }, (raw) =>
    raw === '' ? undefined : inner.parse(raw),
  );
};

/** A field whose value is computed from what the variable says (one variable, a value derived from it). */
export const derived = <A, B>(inner: Field<A>, derive: (value: A) => B): Field<B> => ({
  ...inner,
  parse: (raw) => derive(inner.parse(raw)),
});

export const bool = (variable: string, opts: Opts): Field<boolean> =>
  field(variable, opts, (raw) => {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`must be true or false, got "${raw}"`);
  });

export const oneOf = <const T extends string>(variable: string, values: readonly T[], opts: Opts): Field<T> =>
  field(variable, opts, (raw) => {
    if (!(values as readonly string[]).includes(raw))
      throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  });

/** One of `values`, or unset (empty): undefined. */
export const optionalOneOf = <const T extends string>(
  variable: string,
  values: readonly T[],
  opts: Opts,
): Field<T | undefined> => {
  const inner = oneOf(variable, values, opts);
  return field(variable, { ...opts, default: opts.default ?? '' }, (raw) =>
    raw === '' ? undefined : inner.parse(raw),
  );
};

/** `host:port`, as AWS_XRAY_DAEMON_ADDRESS spells it. */
export const hostPort = (variable: string, opts: Opts): Field<{ host: string; port: number }> =>
  field(variable, opts, (raw) => {
    const m = /^(.+):(\d{1,5})$/.exec(raw);
    if (!m || Number(m[2]) > 65535) throw new Error(`must be host:port, got "${raw}"`);
    return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  });

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Reads every field of `spec` from `env`, collecting all problems before failing. */
export function readConfig<S extends Spec>(service: string, spec: S, env: Env = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, f] of Object.entries(spec)) {
    const raw = env[f.variable] ?? f.defaultValue;
    if (raw === undefined) {
      problems.push(`${f.variable} is required (${f.description})`);
      continue;
    }
    try {
      out[key] = f.parse(raw);
    } catch (e) {
      problems.push(`${f.variable} ${(e as Error).message} (${f.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return out as ConfigOf<S>;
}

/** The variables a spec reads with their defaults: what the launcher, compose and the CDK stack set. */
export function describeSpec(spec: Spec): { variable: string; defaultValue?: string; description: string }[] {
  return Object.values(spec).map((f) => ({
    variable: f.variable,
    defaultValue: f.defaultValue,
    description: f.description,
  }));
}
