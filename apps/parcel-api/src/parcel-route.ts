import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  type CacheItem,
  type CacheOutcome,
  checkParcelId,
  errorBody,
  isKnownParcel,
  type MergedParcel,
  type ParcelResponse,
  type VendorStatus,
} from '@parcel/contract';
import { addMetadata, annotate, currentTraceId, withSubsegment } from '@parcel/tracing';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ageSeconds, readCachedParcel } from './cache';
import { type FanoutResult, runFanout } from './fanout';
import type { NotFoundCache } from './not-found-cache';
import type { VendorStaleMetric } from './vendor-stale-metric';

export interface ParcelRouteDeps {
  dynamodb: DynamoDBClient;
  sfn: SFNClient;
  tableName: string;
  stateMachineArn: string;
  cacheTtlSeconds: number;
  /** The cache item's lifetime, written as its TTL attribute by the fan-out. */
  cacheRetentionSeconds: number;
  /** Valid ids nobody knows, answered without a fan-out for a while (bounded). */
  notFound: NotFoundCache;
  logger: Logger;
  /** Counts answers served from the cache because the vendor timed out or failed (EMF). */
  vendorStale: VendorStaleMetric;
}

/** A vendor status that means "no fresh vendor part": worth falling back to a cached copy for. */
function isDegraded(status: VendorStatus): status is 'timeout' | 'error' {
  return status === 'timeout' || status === 'error';
}

function respond(
  res: Response,
  parcel: MergedParcel,
  cache: CacheOutcome,
  age: number,
  // What this request learnt of the vendor, when it differs from the parcel's (a stale copy's) own.
  vendorStatus: VendorStatus = parcel.vendorStatus,
): void {
  annotate('cache', cache);
  annotate('vendor_status', vendorStatus);
  if (!isKnownParcel(parcel)) {
    res
      .status(404)
      .json(errorBody('parcel_not_found', `no parcel ${parcel.parcelId} in the warehouse or at the vendor`));
    return;
  }
  const body: ParcelResponse = { ...parcel, freshness: { cache, ageSeconds: age, stale: cache === 'stale' } };
  if (cache === 'stale') {
    res.setHeader('X-Parcel-Stale', 'true');
    res.setHeader('X-Parcel-Age-Seconds', String(age));
  }
  res.status(200).json(body);
}

/**
 * GET /parcels/{id}: fresh cache hit, else the fan-out; a stale copy (any age) when the fan-out failed or
 * its vendor part timed out or failed; else the fan-out's partial answer, else 502/503.
 */
export function parcelRoute(deps: ParcelRouteDeps) {
  // Concurrent misses of one parcel share one fan-out (request coalescing): while the vendor is slow or
  // degraded (and its answers are not cached) a hot parcel would otherwise start a fan-out per request and
  // the load would feed on itself. Followers record a subsegment naming the trace that did the work.
  const inFlight = new Map<string, { result: Promise<FanoutResult>; traceId: string | undefined }>();
  const fanoutFor = (parcelId: string): Promise<FanoutResult> => {
    const flight = inFlight.get(parcelId);
    if (flight) {
      return withSubsegment('parcel-fanout (shared)', async () => {
        addMetadata('fanout_shared_with', { traceId: flight.traceId });
        return flight.result;
      });
    }
    const expiresAt = Math.floor(Date.now() / 1000) + deps.cacheRetentionSeconds;
    const result = runFanout(deps.sfn, deps.stateMachineArn, { parcelId, expiresAt }).finally(() =>
      inFlight.delete(parcelId),
    );
    inFlight.set(parcelId, { result, traceId: currentTraceId() });
    return result;
  };

  return async (req: Request<{ id: string }>, res: Response): Promise<void> => {
    const check = checkParcelId(req.params.id);
    if (!check.ok) {
      addMetadata('invalid_parcel_id', { reason: check.reason });
      res.status(400).json(errorBody('invalid_parcel_id', check.message));
      return;
    }
    const parcelId = check.id;
    annotate('parcel_id', parcelId);

    const unknown = deps.notFound.get(parcelId);
    if (unknown) {
      respond(res, unknown, 'hit', ageSeconds(unknown.fetchedAt));
      return;
    }

    const cached = await readCachedParcel(deps.dynamodb, deps.tableName, parcelId);
    let copy: CacheItem | undefined;
    if (cached.kind === 'found') {
      copy = cached.item;
      const age = ageSeconds(copy.fetchedAt);
      if (age < deps.cacheTtlSeconds) {
        respond(res, copy.parcel, 'hit', age);
        return;
      }
    } else if (cached.kind === 'unavailable') {
      deps.logger.warn({ err: cached.error, parcelId }, 'cache read failed; going to the fan-out');
      addMetadata('cache_error', String((cached.error as Error)?.message ?? cached.error));
    }

    const fanout = await fanoutFor(parcelId);
    if (fanout.kind === 'ok') {
      if (!isKnownParcel(fanout.parcel)) deps.notFound.remember(fanout.parcel);
      const vendorStatus = fanout.parcel.vendorStatus;
      if (copy && isDegraded(vendorStatus)) {
        // The copy still has a vendor part; the fresh answer has none. The state machine did not cache the
        // degraded answer, so the copy stays for the next request too.
        const age = ageSeconds(copy.fetchedAt);
        deps.vendorStale.record({
          parcelId,
          vendorStatus,
          ageSeconds: age,
          ...(currentTraceId() ? { traceId: currentTraceId() } : {}),
        });
        respond(res, copy.parcel, 'stale', age, vendorStatus);
        return;
      }
      respond(res, fanout.parcel, 'miss', ageSeconds(fanout.parcel.fetchedAt));
      return;
    }
    const problem =
      fanout.kind === 'failed'
        ? { status: fanout.status, error: fanout.error, cause: fanout.cause }
        : {
            error: String((fanout.error as Error)?.name ?? 'Error'),
            cause: (fanout.error as Error)?.message,
          };
    addMetadata('fanout_failure', problem);
    deps.logger.warn({ parcelId, fanout: fanout.kind, ...problem }, 'fan-out did not return a parcel');
    if (copy) {
      respond(res, copy.parcel, 'stale', ageSeconds(copy.fetchedAt));
      return;
    }
    annotate('cache', 'miss');
    if (fanout.kind === 'failed') {
      res
        .status(502)
        .json(
          errorBody(
            'fanout_failed',
            `the parcel fan-out ended ${fanout.status}${fanout.error ? ` (${fanout.error})` : ''}`,
          ),
        );
    } else {
      res
        .status(503)
        .json(errorBody('step_functions_unavailable', 'the parcel fan-out could not be started'));
    }
  };
}
