/**
 * How the simulated vendor behaves: how long calls take and how often they fail. Changed at run time
 * through the admin API, so fault and load tests can make the vendor slow or broken on demand.
 */
export interface LatencyProfile {
  /** Median response time in ms; individual calls spread log-normally around it. */
  medianMs: number;
  /** Share (0..1) of calls that take `slowMs` instead. */
  slowFraction: number;
  slowMs: number;
  /** Share (0..1) of calls answered 503. */
  errorRate: number;
  /** Share (0..1) of calls whose connection is destroyed without an answer (ECONNRESET at the client). */
  resetRate: number;
}

export const DEFAULT_LATENCY_PROFILE: Readonly<LatencyProfile> = Object.freeze({
  medianMs: 110,
  slowFraction: 0,
  slowMs: 1100,
  errorRate: 0,
  resetRate: 0,
});

/** The range each field accepts. */
export const PROFILE_LIMITS: Readonly<Record<keyof LatencyProfile, { min: number; max: number }>> = {
  medianMs: { min: 0, max: 60_000 },
  slowFraction: { min: 0, max: 1 },
  slowMs: { min: 0, max: 120_000 },
  errorRate: { min: 0, max: 1 },
  resetRate: { min: 0, max: 1 },
};

export const PROFILE_FIELDS = Object.keys(PROFILE_LIMITS) as (keyof LatencyProfile)[];

export type ProfilePatchResult = { ok: true; profile: LatencyProfile } | { ok: false; problems: string[] };

/**
 * Applies an untrusted partial profile (a request body) to `current`. Every field is optional; unknown
 * fields, non-numbers and out-of-range values are rejected, all problems at once, and nothing changes.
 */
export function applyProfilePatch(current: LatencyProfile, patch: unknown): ProfilePatchResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, problems: ['the profile must be a JSON object'] };
  }
  const problems: string[] = [];
  const next: LatencyProfile = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (!Object.hasOwn(PROFILE_LIMITS, key)) {
      problems.push(`unknown field "${key}" (known: ${PROFILE_FIELDS.join(', ')})`);
      continue;
    }
    const field = key as keyof LatencyProfile;
    const { min, max } = PROFILE_LIMITS[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      problems.push(`${field} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      continue;
    }
    next[field] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, profile: next };
}

/** σ of ln(latency): p90 ≈ 1.7 × median, p99 ≈ 2.5 × median, like a healthy HTTP API over the internet. */
export const LATENCY_SIGMA = 0.4;

export type Random = () => number;

/** A standard normal draw (Box–Muller). */
function standardNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface CallPlan {
  delayMs: number;
  slow: boolean;
  outcome: 'answer' | 'error' | 'reset';
}

/** Decides how one call goes under `profile`: how long it takes and whether it fails. */
export function planCall(profile: LatencyProfile, random: Random = Math.random): CallPlan {
  const slow = random() < profile.slowFraction;
  const delayMs = slow
    ? profile.slowMs
    : profile.medianMs === 0
      ? 0
      : profile.medianMs * Math.exp(LATENCY_SIGMA * standardNormal(random));
  const draw = random();
  const outcome =
    draw < profile.resetRate ? 'reset' : draw < profile.resetRate + profile.errorRate ? 'error' : 'answer';
  return { delayMs, slow, outcome };
}
