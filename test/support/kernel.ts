import { readFileSync } from 'node:fs';

/**
 * Datagrams the kernel dropped at the UDP sockets bound to local `port` (the `drops` column of
 * /proc/net/udp and udp6, Linux): a receive buffer that fills before its reader catches up drops there,
 * before the reader can count anything. A test that sends unpaced datagrams reads this to know how many
 * the reader could have seen.
 */
export function kernelUdpDrops(port: number): number {
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const localPort = Number.parseInt((cols[1] ?? '').split(':')[1] ?? '', 16);
      if (localPort === port) drops += Number(cols[cols.length - 1] ?? 0);
    }
  }
  return drops;
}
