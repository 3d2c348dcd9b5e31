import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { familyOf, isLocalhostSubdomain, loopbackFor } from '@parcel/http-service';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

const originalLookup = dns.lookup;
const originalPromisesLookup = dns.promises.lookup;
let installed = false;

/**
 * Processes that call the vendor at `https://vendor.localhost:8443` on a machine whose resolver does not
 * know RFC 6761's loopback names (`isLocalhostSubdomain`, `@parcel/http-service`) install this once at start-up: only `*.localhost` names are answered,
 * everything else goes to the system resolver unchanged.
 *
 * Makes `dns.lookup` (used by `net`, `http`, `https`, `tls` and `fetch`) and `dns.promises.lookup` answer
 * `*.localhost` with loopback (127.0.0.1, or ::1 when IPv6 is asked for). Idempotent; returns a function
 * that restores the system resolver.
 */
export function installLocalhostResolution(): () => void {
  if (!installed) {
    installed = true;
    const patched = ((hostname: string, options: unknown, callback?: unknown) => {
      const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
      const opts = typeof options === 'function' ? undefined : options;
      if (!isLocalhostSubdomain(hostname)) {
        return (originalLookup as (...args: unknown[]) => void)(
          hostname,
          ...(opts === undefined ? [] : [opts]),
          cb,
        );
      }
      const answer = loopbackFor(familyOf(opts));
      const all = typeof opts === 'object' && opts !== null && (opts as LookupOptions).all === true;
      process.nextTick(() => (all ? cb(null, [answer]) : cb(null, answer.address, answer.family)));
    }) as typeof dns.lookup;
    dns.lookup = patched;
    dns.promises.lookup = ((hostname: string, options?: unknown) => {
      if (!isLocalhostSubdomain(hostname)) {
        return (originalPromisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, options);
      }
      const answer = loopbackFor(familyOf(options));
      const all = typeof options === 'object' && options !== null && (options as LookupOptions).all === true;
      return Promise.resolve(all ? [answer] : answer);
    }) as typeof dns.promises.lookup;
  }
  return uninstallLocalhostResolution;
}

export function uninstallLocalhostResolution(): void {
  dns.lookup = originalLookup;
  dns.promises.lookup = originalPromisesLookup;
  installed = false;
}
