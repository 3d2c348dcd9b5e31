import type { TrackingEvent, WarehouseStatus } from './parcel';

/**
 * The sample parcels, one definition read by the warehouse seed and by the vendor simulator so that both
 * sides always agree. `warehouse`/`vendor` null means that side does not know the parcel.
 */
export interface SampleParcel {
  id: string;
  note: string;
  warehouse: { status: WarehouseStatus; warehouse: string; weightGrams: number } | null;
  vendor: {
    carrier: string;
    status: string;
    estimatedDelivery: string | null;
    events: TrackingEvent[];
  } | null;
}

const events = (...steps: [string, string][]): TrackingEvent[] =>
  steps.map(([location, description], i) => ({
    at: new Date(Date.UTC(2026, 10, 20 + i, 8 + i, 15)).toISOString(),
    location,
    description,
  }));

const inTransit = (carrier: string, from: string, to: string) => ({
  carrier,
  status: 'in_transit',
  estimatedDelivery: '2026-12-02',
  events: events([from, 'Accepted'], [to, 'Arrived at sorting centre']),
});

/** A parcel both sides know: in the warehouse as `[status, warehouse, grams]`, in transit with the vendor. */
const knownToBoth = (
  id: string,
  [status, warehouse, weightGrams]: [WarehouseStatus, string, number],
  [carrier, from, to]: [string, string, string],
): SampleParcel => ({
  id,
  note: 'known to both',
  warehouse: { status, warehouse, weightGrams },
  vendor: inTransit(carrier, from, to),
});

export const SAMPLE_PARCELS: readonly SampleParcel[] = [
  knownToBoth('RR123456785GB', ['dispatched', 'LHR-1', 1200], ['Royal Mail', 'London', 'Frankfurt']),
  knownToBoth('CP987654326DE', ['in_storage', 'FRA-2', 5400], ['DHL', 'Berlin', 'Leipzig']),
  {
    id: 'LX314159268US',
    note: 'warehouse only (vendor 404)',
    warehouse: { status: 'received', warehouse: 'JFK-3', weightGrams: 300 },
    vendor: null,
  },
  { id: 'EE271828189FR', note: 'known to neither (404)', warehouse: null, vendor: null },
  {
    id: 'RA000000014NL',
    note: 'known to both, delivered',
    warehouse: { status: 'dispatched', warehouse: 'AMS-1', weightGrams: 800 },
    vendor: {
      carrier: 'PostNL',
      status: 'delivered',
      estimatedDelivery: null,
      events: events(['Amsterdam', 'Accepted'], ['Utrecht', 'Out for delivery'], ['Utrecht', 'Delivered']),
    },
  },
  knownToBoth('RB111111115SE', ['sorted', 'ARN-1', 2300], ['PostNord', 'Stockholm', 'Malmo']),
  knownToBoth('RC222222225ES', ['dispatched', 'MAD-1', 450], ['Correos', 'Madrid', 'Barcelona']),
  knownToBoth('RD333333335IT', ['in_storage', 'MXP-1', 9100], ['Poste Italiane', 'Milan', 'Rome']),
  knownToBoth('RE444444445PL', ['received', 'WAW-1', 640], ['Poczta Polska', 'Warsaw', 'Krakow']),
  knownToBoth('RF555555555BE', ['sorted', 'BRU-1', 1750], ['bpost', 'Brussels', 'Antwerp']),
  knownToBoth('RG666666665AT', ['dispatched', 'VIE-1', 3300], ['Austrian Post', 'Vienna', 'Graz']),
  {
    id: 'RH777777775CH',
    note: 'warehouse only (vendor 404)',
    warehouse: { status: 'returned', warehouse: 'ZRH-1', weightGrams: 720 },
    vendor: null,
  },
  {
    id: 'RI888888885DK',
    note: 'vendor only (not in the warehouse)',
    warehouse: null,
    vendor: inTransit('PostNord', 'Copenhagen', 'Aarhus'),
  },
  knownToBoth('RJ999999995IE', ['in_storage', 'DUB-1', 150], ['An Post', 'Dublin', 'Cork']),
  knownToBoth('RK135792461PT', ['dispatched', 'LIS-1', 980], ['CTT', 'Lisbon', 'Porto']),
  { id: 'RL246813576CZ', note: 'known to neither (404)', warehouse: null, vendor: null },
];

export function findSampleParcel(id: string): SampleParcel | undefined {
  return SAMPLE_PARCELS.find((p) => p.id === id);
}
