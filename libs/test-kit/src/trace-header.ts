/**
 * An `X-Amzn-Trace-Id` value a test sends to force (or, with `sampled = '0'`, refuse) sampling. Written out
 * here rather than with `@parcel/xray-protocol`'s formatter, so a test of that formatter is not judged by it.
 */
export function sampledHeader(root: string, parent?: string, sampled: '0' | '1' = '1'): string {
  return parent === undefined
    ? `Root=${root};Sampled=${sampled}`
    : `Root=${root};Parent=${parent};Sampled=${sampled}`;
}
