import type { SamplingRule } from './rules';

/** X-Ray's rule patterns: `*` matches any run of characters, `?` exactly one; case-insensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  // Iterative glob with single-star backtracking: linear in practice, no regex built from input.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** What a sampling decision is made on (the fields the SDKs match rules against). */
export interface SamplingRequest {
  serviceName: string;
  serviceType: string;
  host: string;
  httpMethod: string;
  urlPath: string;
}

export function ruleMatches(rule: SamplingRule, req: SamplingRequest): boolean {
  return (
    wildcardMatch(rule.ServiceName, req.serviceName) &&
    wildcardMatch(rule.ServiceType, req.serviceType) &&
    wildcardMatch(rule.Host, req.host) &&
    wildcardMatch(rule.HTTPMethod, req.httpMethod) &&
    wildcardMatch(rule.URLPath, req.urlPath)
  );
}

/** The rule that decides `req`: lowest priority number first, ties broken by name (as the SDKs do). */
export function matchingRule(rules: readonly SamplingRule[], req: SamplingRequest): SamplingRule | undefined {
  const ordered = [...rules].sort((a, b) => a.Priority - b.Priority || a.RuleName.localeCompare(b.RuleName));
  return ordered.find((rule) => ruleMatches(rule, req));
}
