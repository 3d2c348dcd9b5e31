import { createServer } from 'node:https';
import { LOCAL_VENDOR_HOST } from '@parcel/config';
import { checkParcelId, errorBody } from '@parcel/contract';
import { bind, reachableHost } from '@parcel/http-service';
import { ensureLocalCertificates } from '@parcel/local-resources';
import { createLogger } from '@parcel/tracing/logger';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import {
  applyProfilePatch,
  DEFAULT_LATENCY_PROFILE,
  type LatencyProfile,
  planCall,
  type Random,
} from './latency-profile';
import { emptyStats } from './stats';
import { vendorParcel } from './vendor-catalogue';

export interface VendorSimOptions {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  host?: string;
  /** Folder of the local CA and the server certificate (created when missing). */
  certDir: string;
  /** The start-up profile, over the default; POST /__admin/reset returns to it. */
  profile?: Partial<LatencyProfile>;
  logger?: Logger;
  /** Source of randomness for latency and faults (tests may pin it). */
  random?: Random;
}

export interface RunningVendorSim {
  /** `https://<host>:<port>`, as bound (an IP the certificate covers). */
  url: string;
  /** The same port under the vendor's name, `https://vendor.localhost:<port>` (needs *.localhost resolution). */
  namedUrl: string;
  port: number;
  /** The CA that signed the server certificate: what callers trust. */
  caFile: string;
  close(): Promise<void>;
}

/** The tracking vendor over real HTTPS: sample data, a tunable latency and fault profile, an admin API. */
export async function startVendorSim(opts: VendorSimOptions): Promise<RunningVendorSim> {
  const logger = opts.logger ?? createLogger({ service: 'vendor-sim', level: 'silent' });
  const random = opts.random ?? Math.random;
  const certs = await ensureLocalCertificates(opts.certDir);

  const initial = applyProfilePatch(DEFAULT_LATENCY_PROFILE, opts.profile ?? {});
  if (!initial.ok) throw new Error(`invalid vendor profile: ${initial.problems.join('; ')}`);
  const startProfile = initial.profile;
  let profile = startProfile;
  let stats = emptyStats();
  const pending = new Set<NodeJS.Timeout>();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/v2/parcels/:id', (req, res) => {
    stats.requests++;
    const plan = planCall(profile, random);
    if (plan.slow) stats.slow++;
    const answer = () => {
      pending.delete(timer);
      if (res.destroyed) return;
      if (plan.outcome === 'reset') {
        stats.reset++;
        req.socket.destroy();
        return;
      }
      if (plan.outcome === 'error') {
        stats.errored++;
        res
          .status(503)
          .json(errorBody('vendor_unavailable', 'the tracking service is temporarily unavailable'));
        return;
      }
      stats.served++;
      const id = req.params.id;
      const check = checkParcelId(id);
      if (!check.ok) {
        stats.badRequest++;
        res.status(400).json(errorBody('invalid_tracking_number', check.message));
        return;
      }
      const parcel = vendorParcel(check.id);
      if (!parcel) {
        stats.notFound++;
        res.status(404).json(errorBody('not_found', `no shipment with tracking number ${check.id}`));
        return;
      }
      stats.ok++;
      res.json(parcel);
    };
    const timer = setTimeout(answer, plan.delayMs);
    pending.add(timer);
    res.once('close', () => {
      if (!pending.has(timer)) return;
      // The caller gave up (its timeout) before the answer was due.
      clearTimeout(timer);
      pending.delete(timer);
      stats.abandoned++;
    });
    logger.debug({ id: req.params.id, ...plan }, 'vendor call');
  });

  const admin = express.Router();
  admin.use(express.json({ limit: '16kb', type: () => true }));
  admin.get('/profile', (_req, res) => {
    res.json(profile);
  });
  admin.put('/profile', (req, res) => {
    const result = applyProfilePatch(profile, req.body);
    if (!result.ok) {
      res.status(400).json(errorBody('invalid_profile', result.problems.join('; ')));
      return;
    }
    profile = result.profile;
    logger.info({ profile }, 'vendor profile changed');
    res.json(profile);
  });
  admin.post('/reset', (_req, res) => {
    profile = startProfile;
    stats = emptyStats();
    logger.info({ profile }, 'vendor profile and stats reset');
    res.json(profile);
  });
  admin.get('/stats', (_req, res) => {
    res.json(stats);
  });
  app.use('/__admin', admin);

  app.use((req, res) => {
    res.status(404).json(errorBody('no_route', `no route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // express.json(): malformed JSON (400) or a body over the limit (413).
      res.status(status).json(errorBody('invalid_body', (err as Error).message));
      return;
    }
    logger.error({ err }, 'unexpected error');
    res.status(500).json(errorBody('internal', 'internal error'));
  });

  const server = createServer({ cert: certs.certPem, key: certs.keyPem }, app);
  const host = opts.host ?? '127.0.0.1';
  const port = await bind(server, opts.port ?? 0, host);

  let closing: Promise<void> | undefined;
  return {
    url: `https://${reachableHost(host)}:${port}`,
    namedUrl: `https://${LOCAL_VENDOR_HOST}:${port}`,
    port,
    caFile: certs.caFile,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
