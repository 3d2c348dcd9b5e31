import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * RFC 6761 §6.3: names under `localhost.` are loopback names. glibc's resolver (and therefore Node's
 * `dns.lookup`) does not know that on every machine: on this one `getent hosts vendor.localhost` finds
 * nothing, so a client calling `https://vendor.localhost:8443` fails with ENOTFOUND. Only `*.localhost`
 * names are answered here; `localhost` itself is left to /etc/hosts, which every machine has right.
 */
export function isLocalhostSubdomain(hostname: string): boolean {
  return hostname.toLowerCase().replace(/\.$/, '').endsWith('.localhost');
}

/** The loopback address of the family asked for (IPv4 unless 6 is asked). */
export function loopbackFor(family: number | undefined): LookupAddress {
  return family === 6 ? { address: '::1', family: 6 } : { address: '127.0.0.1', family: 4 };
}

/** The address family a `dns.lookup` options argument asks for (a number, or an options object). */
export function familyOf(options: unknown): number | undefined {
  if (typeof options === 'number') return options;
  if (options && typeof options === 'object') {
    const f = (options as LookupOptions).family;
    if (f === 'IPv6') return 6;
    if (f === 'IPv4') return 4;
    return typeof f === 'number' ? f : undefined;
  }
  return undefined;
}

/**
 * A `lookup` for one client's connections (a request or agent option): `*.localhost` is loopback, every
 * other name goes to the system resolver. What a production service uses for its own calls, where
 * patching `dns` for the whole process (`installLocalhostResolution` in `@parcel/local-resources`) is not
 * its business.
 */
export const lookupWithLocalhost: LookupFunction = (hostname, options, callback) => {
  if (!isLocalhostSubdomain(hostname)) {
    dns.lookup(hostname, options, callback as never);
    return;
  }
  const answer = loopbackFor(familyOf(options));
  if (options.all) callback(null, [answer]);
  else callback(null, answer.address, answer.family);
};
