/** The parcel contract shared by parcel-api, warehouse-query, the state machine and the vendor simulator. */

export type WarehouseStatus = 'received' | 'sorted' | 'in_storage' | 'dispatched' | 'returned';

/** What warehouse-query answers for GET /internal/warehouse/{id}. */
export interface WarehousePart {
  parcelId: string;
  status: WarehouseStatus;
  warehouse: string;
  weightGrams: number;
  updatedAt: string;
}

export interface TrackingEvent {
  at: string;
  location: string;
  description: string;
}

/** What warehouse-query answers for GET /internal/vendor/{id} (the vendor's view, normalised). */
export interface VendorPart {
  parcelId: string;
  carrier: string;
  status: string;
  estimatedDelivery: string | null;
  events: TrackingEvent[];
}

/**
 * How the vendor call went: `ok`, `not_found` (vendor does not know the parcel), `timeout` (our hard
 * timeout fired), `error` (5xx, reset, TLS failure).
 */
export type VendorStatus = 'ok' | 'not_found' | 'timeout' | 'error';

/** The merged parcel: what the state machine outputs, what DynamoDB caches and what the API returns. */
export interface MergedParcel {
  parcelId: string;
  warehouse: WarehousePart | null;
  vendor: VendorPart | null;
  vendorStatus: VendorStatus;
  /** When the fan-out assembled this parcel (ISO 8601). */
  fetchedAt: string;
}

export type CacheOutcome = 'hit' | 'miss' | 'stale';

/** Response body of GET /parcels/{id}. */
export interface ParcelResponse extends MergedParcel {
  freshness: {
    cache: CacheOutcome;
    ageSeconds: number;
    stale: boolean;
  };
}

/** A parcel is known when either side knows it; neither → 404. */
export function isKnownParcel(parcel: Pick<MergedParcel, 'warehouse' | 'vendor'>): boolean {
  return parcel.warehouse !== null || parcel.vendor !== null;
}

/** The JSON error body every service answers with. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
