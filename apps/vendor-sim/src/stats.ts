/** What the simulator did since it started (or since the last reset), for tests and for people. */
export interface VendorSimStats {
  /** Calls to GET /v2/parcels/{id}. */
  requests: number;
  /** Calls answered normally: 200, 404 or 400. */
  served: number;
  ok: number;
  notFound: number;
  badRequest: number;
  /** Calls that took the profile's `slowMs`. */
  slow: number;
  /** Calls answered 503 by the profile's `errorRate`. */
  errored: number;
  /** Connections destroyed by the profile's `resetRate`. */
  reset: number;
  /** Calls whose client went away before the answer was due (a caller's timeout, typically). */
  abandoned: number;
}

export const emptyStats = (): VendorSimStats => ({
  requests: 0,
  served: 0,
  ok: 0,
  notFound: 0,
  badRequest: 0,
  slow: 0,
  errored: 0,
  reset: 0,
  abandoned: 0,
});
