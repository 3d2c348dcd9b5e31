import { createServer } from 'node:net';

/** Thrown when a port the stack needs is taken; names the variable that moves it. */
export class PortTakenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly variable: string,
  ) {
    super(`port ${port} on ${host} is already in use; set ${variable} to move it`);
    this.name = 'PortTakenError';
  }
}

/** Resolves when `port` can be bound on `host`, rejects with PortTakenError otherwise. */
export function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES')
        reject(new PortTakenError(host, port, variable));
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
