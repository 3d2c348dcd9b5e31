import { describeSpec, type Spec } from '@parcel/config';

/**
 * The environment of a container, checked against the service's `@parcel/config` spec: a variable the
 * service does not read is a typo or a stale name, and fails synthesis instead of failing silently.
 */
export function environmentFor(
  service: string,
  spec: Spec,
  values: Readonly<Record<string, string>>,
): Record<string, string> {
  const known = new Set(describeSpec(spec).map((f) => f.variable));
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new Error(
      `${service}: environment variables not in its @parcel/config spec: ${unknown.join(', ')}`,
    );
  }
  return { ...values };
}
