import { derived, int } from '../schema';

/**
 * The internal ALB's connection idle timeout, in seconds: defined here once. Infra sets it on the load
 * balancer; the services read it (LOAD_BALANCER_IDLE_TIMEOUT_SECONDS) and derive their own keep-alive.
 */
export const LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = 30;

/** How much longer than the load balancer a target keeps an idle connection. */
const KEEP_ALIVE_MARGIN_MS = 5_000;
/** How much longer than the keep-alive the header timer runs. */
const HEADERS_MARGIN_MS = 1_000;

export interface ServerTimeouts {
  /** Node's `server.keepAliveTimeout`: how long an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
  /** Node's `server.headersTimeout`: how long a request's headers may take to arrive. */
  headersTimeoutMs: number;
}

/**
 * The server timeouts of a target behind a load balancer with this idle timeout. The target must keep an
 * idle connection longer than the load balancer does: otherwise the balancer can send a request on a
 * connection the target is closing, and answers 502 ("Edit attributes for your Application Load
 * Balancer", Connection idle timeout, in the ELB user guide). The header timer runs longer still, so it
 * never cuts a connection that is only waiting between two requests.
 */
export function serverTimeoutsBehind(idleTimeoutSeconds: number): ServerTimeouts {
  const keepAliveTimeoutMs = idleTimeoutSeconds * 1000 + KEEP_ALIVE_MARGIN_MS;
  return { keepAliveTimeoutMs, headersTimeoutMs: keepAliveTimeoutMs + HEADERS_MARGIN_MS };
}

/** What every service behind the load balancer reads to serve HTTP. */
export const servingSpec = {
  serverTimeouts: derived(
    int('LOAD_BALANCER_IDLE_TIMEOUT_SECONDS', {
      description:
        'idle timeout of the load balancer in front, in seconds (ALB: 1 to 4000); keep-alive and header timeouts are derived from it',
      default: String(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
      min: 1,
      max: 4000,
    }),
    serverTimeoutsBehind,
  ),
};
