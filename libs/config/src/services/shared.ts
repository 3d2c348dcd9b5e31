import { LOCAL_CREDENTIALS, LOCAL_PORTS } from '../local-defaults';
import { oneOf, str, url } from '../schema';

/** Every piece logs through pino at this level (`LOG_LEVEL`). */
export const loggingSpec = {
  logLevel: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const, {
    description: 'minimum level of the JSON logs',
    default: 'info',
  }),
};

/** A variable naming where a piece of the stack is reached; unset, that piece on loopback at its local port. */
export const pieceUrl = (variable: string, description: string, piece: keyof typeof LOCAL_PORTS) =>
  url(variable, { description, default: `http://127.0.0.1:${LOCAL_PORTS[piece]}` });

/** The interface a server listens on: loopback unless told (compose sets 0.0.0.0). */
export const bindHost = (variable: string, description = 'interface to listen on (loopback unless told)') =>
  str(variable, { description, default: '127.0.0.1' });

/** The key pair SigV4 requests are signed or checked with; the local stand-ins' static one by default. */
export const credentialsSpec = (use: { key: string; secret: string }) => ({
  accessKeyId: str('AWS_ACCESS_KEY_ID', { description: use.key, default: LOCAL_CREDENTIALS.accessKeyId }),
  secretAccessKey: str('AWS_SECRET_ACCESS_KEY', {
    description: use.secret,
    default: LOCAL_CREDENTIALS.secretAccessKey,
  }),
});
