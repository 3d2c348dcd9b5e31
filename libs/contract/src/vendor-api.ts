/** The tracking vendor's own wire format: `GET /v2/parcels/{id}` on the vendor (and its simulator). */
export interface VendorApiParcel {
  trackingNumber: string;
  carrier: string;
  status: string;
  estimatedDelivery: string | null;
  events: { timestamp: string; location: string; description: string }[];
}

export const VENDOR_PARCEL_PATH = (id: string) => `/v2/parcels/${encodeURIComponent(id)}`;
