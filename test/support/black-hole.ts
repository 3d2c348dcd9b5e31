import { spawn } from 'node:child_process';

const BLACK_HOLE = `
const dgram = require('node:dgram');
const net = require('node:net');
const fs = require('node:fs');
const [host, port] = process.argv.slice(-2);
const udp = dgram.createSocket('udp4');
// A tiny receive buffer that is never read: datagrams queue, then the kernel drops them.
udp.bind({ address: host, port: Number(port) }, () => {
  udp.setRecvBufferSize(4096);
  // TCP: the kernel completes handshakes into the backlog; nothing ever accepts or answers.
  const tcp = net.createServer();
  tcp.listen({ host, port: Number(port), backlog: 64 }, () => {
    fs.writeSync(1, 'ready\\n');
    // Block the only thread without burning CPU: no callback ever runs again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
`;

export interface BlackHole {
  close(): Promise<void>;
}

/**
 * Binds `host:port` (UDP and TCP) in a separate process whose only thread then blocks forever: datagrams
 * are never read and TCP connections are never answered: a daemon that is alive but hung.
 */
export async function startBlackHole(address: string): Promise<BlackHole> {
  const [host, port] = address.split(':') as [string, string];
  const child = spawn(process.execPath, ['-e', BLACK_HOLE, host, port], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`black hole exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
  });
  return {
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
