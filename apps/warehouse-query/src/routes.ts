import { checkParcelId, errorBody, type VendorStatus } from '@parcel/contract';
import { annotate, currentSegment } from '@parcel/tracing';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { VendorClient } from './vendor-client';
import { findWarehousePart } from './warehouse';

function validId(req: Request<{ id: string }>, res: Response): string | undefined {
  const check = checkParcelId(req.params.id);
  if (!check.ok) {
    res.status(400).json(errorBody('invalid_parcel_id', check.message));
    return undefined;
  }
  annotate('parcel_id', check.id);
  return check.id;
}

/** GET /internal/warehouse/{id}: the warehouse's record, 404 when unknown, 503 when the database is down. */
export function warehouseRoute(pool: Pool, logger: Logger) {
  return async (req: Request<{ id: string }>, res: Response): Promise<void> => {
    const id = validId(req, res);
    if (!id) return;
    try {
      const part = await findWarehousePart(pool, id);
      if (!part) {
        res.status(404).json(errorBody('parcel_not_found', `the warehouse has no parcel ${id}`));
        return;
      }
      res.json(part);
    } catch (err) {
      currentSegment().recordException(err);
      logger.error({ err, parcelId: id }, 'warehouse database unavailable');
      res.status(503).json(errorBody('database_unavailable', 'the warehouse database did not answer'));
    }
  };
}

/** GET /internal/vendor/{id}: the vendor's view; 404 / 504 timeout / 502 reset, TLS failure or 5xx. */
export function vendorRoute(vendor: VendorClient) {
  return async (req: Request<{ id: string }>, res: Response): Promise<void> => {
    const id = validId(req, res);
    if (!id) return;
    const call = await vendor.get(id);
    const status: VendorStatus = call.kind;
    annotate('vendor_status', status);
    switch (call.kind) {
      case 'ok':
        res.json(call.part);
        return;
      case 'not_found':
        res.status(404).json(errorBody('parcel_not_found', `the vendor has no parcel ${id}`));
        return;
      case 'timeout':
        res
          .status(504)
          .json(errorBody('vendor_timeout', `the vendor did not answer within ${call.timeoutMs} ms`));
        return;
      case 'error':
        res.status(502).json(errorBody('vendor_error', `vendor call failed: ${call.cause}`));
    }
  };
}
