import { findSampleParcel, type SampleParcel, type VendorApiParcel } from '@parcel/contract';

/**
 * What the vendor knows: the shared sample parcels whose `vendor` side is set, in the vendor's own wire
 * format (its field names differ from ours on purpose: warehouse-query normalises them).
 */
export function vendorParcel(id: string): VendorApiParcel | undefined {
  const sample = findSampleParcel(id);
  return sample?.vendor ? toWire(sample.id, sample.vendor) : undefined;
}

function toWire(id: string, vendor: NonNullable<SampleParcel['vendor']>): VendorApiParcel {
  return {
    trackingNumber: id,
    carrier: vendor.carrier,
    status: vendor.status,
    estimatedDelivery: vendor.estimatedDelivery,
    events: vendor.events.map((e) => ({ timestamp: e.at, location: e.location, description: e.description })),
  };
}
