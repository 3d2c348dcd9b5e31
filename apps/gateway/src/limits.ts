/** API Gateway REST API limits this stage enforces (Quotas for configuring and running a REST API). */
export const LIMITS = {
  /** Payload size: 10 MB, request and response. */
  maxPayloadBytes: 10 * 1024 * 1024,
  /** Total combined size of the request line and header values. */
  maxRequestLineAndHeaderValuesBytes: 10_240,
  /**
   * What Node's parser accepts before giving up on a request (its own default is 16 KB). Set above the
   * API Gateway limit so that oversize headers get a proper gateway response instead of a parser error;
   * beyond this the `clientError` handler still answers 431 cleanly.
   */
  nodeMaxHeaderSize: 64 * 1024,
} as const;
