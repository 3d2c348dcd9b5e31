import { readFileSync } from 'node:fs';

/**
 * The kernel's socket table for `protocol` (/proc/net/<protocol> and <protocol>6, Linux), one row of
 * whitespace-separated columns a socket: `local_address` is column 1 (`hexaddr:hexport`), `st` column 3.
 * A table the machine does not have (no IPv6) is skipped.
 */
function socketTable(protocol: 'tcp' | 'udp'): string[][] {
  const rows: string[][] = [];
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) if (line.trim()) rows.push(line.trim().split(/\s+/));
  }
  return rows;
}

/** A row's local address and port. */
function localEndpoint(row: string[]): { address: string; port: number } {
  const [address = '', portHex = ''] = (row[1] ?? '').split(':');
  return { address, port: Number.parseInt(portHex, 16) };
}

/**
 * Datagrams the kernel dropped at the UDP sockets bound to local `port` (the `drops` column, the last): a
 * receive buffer that fills before its reader catches up drops there, before the reader can count
 * anything. A test that sends unpaced datagrams reads this to know how many the reader could have seen.
 */
export function kernelUdpDrops(port: number): number {
  let drops = 0;
  for (const row of socketTable('udp'))
    if (localEndpoint(row).port === port) drops += Number(row[row.length - 1] ?? 0);
  return drops;
}

const hexToIpv4 = (hex: string) =>
  [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');

/** Local addresses of the TCP listeners on `port`: what a server really bound, whatever it says. */
export function listeningAddresses(port: number): string[] {
  const out = new Set<string>();
  for (const row of socketTable('tcp')) {
    const local = localEndpoint(row);
    if (row[3] !== '0A' || local.port !== port || !local.address) continue; // 0A = LISTEN
    const { address } = local;
    out.add(address.length === 8 ? hexToIpv4(address) : address === '0'.repeat(32) ? '::' : address);
  }
  return [...out];
}
