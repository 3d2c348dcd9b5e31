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
} from '@parcel/contract';
import { addMetadata, annotate } from '@parcel/tracing';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { ageSeconds, readCachedParcel } from './cache';
import { runFanout } from './fanout';

export interface ParcelRouteDeps {
  dynamodb: DynamoDBClient;
  sfn: SFNClient;
  tableName: string;
  stateMachineArn: string;
  cacheTtlSeconds: number;
  logger: Logger;
}

function respond(res: Response, parcel: MergedParcel, cache: CacheOutcome, age: number): void {
  annotate('cache', cache);
  annotate('vendor_status', parcel.vendorStatus);
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

/** GET /parcels/{id}: fresh cache hit, else the fan-out, else a stale copy, else 502/503. */
export function parcelRoute(deps: ParcelRouteDeps) {
  return async (req: Request<{ id: string }>, res: Response): Promise<void> => {
    const check = checkParcelId(req.params.id);
    if (!check.ok) {
      addMetadata('invalid_parcel_id', { reason: check.reason });
      res.status(400).json(errorBody('invalid_parcel_id', check.message));
      return;
    }
    const parcelId = check.id;
    annotate('parcel_id', parcelId);

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

    const fanout = await runFanout(deps.sfn, deps.stateMachineArn, parcelId);
    if (fanout.kind === 'ok') {
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
