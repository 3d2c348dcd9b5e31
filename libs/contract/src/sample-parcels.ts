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

export const SAMPLE_PARCELS: readonly SampleParcel[] = [
  {
    id: 'RR123456785GB',
    note: 'known to both',
    warehouse: { status: 'dispatched', warehouse: 'LHR-1', weightGrams: 1200 },
    vendor: inTransit('Royal Mail', 'London', 'Frankfurt'),
  },
  {
    id: 'CP987654326DE',
    note: 'known to both',
    warehouse: { status: 'in_storage', warehouse: 'FRA-2', weightGrams: 5400 },
    vendor: inTransit('DHL', 'Berlin', 'Leipzig'),
  },
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
  {
    id: 'RB111111115SE',
    note: 'known to both',
    warehouse: { status: 'sorted', warehouse: 'ARN-1', weightGrams: 2300 },
    vendor: inTransit('PostNord', 'Stockholm', 'Malmo'),
  },
  {
    id: 'RC222222225ES',
    note: 'known to both',
    warehouse: { status: 'dispatched', warehouse: 'MAD-1', weightGrams: 450 },
    vendor: inTransit('Correos', 'Madrid', 'Barcelona'),
  },
  {
    id: 'RD333333335IT',
    note: 'known to both',
    warehouse: { status: 'in_storage', warehouse: 'MXP-1', weightGrams: 9100 },
    vendor: inTransit('Poste Italiane', 'Milan', 'Rome'),
  },
  {
    id: 'RE444444445PL',
    note: 'known to both',
    warehouse: { status: 'received', warehouse: 'WAW-1', weightGrams: 640 },
    vendor: inTransit('Poczta Polska', 'Warsaw', 'Krakow'),
  },
  {
    id: 'RF555555555BE',
    note: 'known to both',
    warehouse: { status: 'sorted', warehouse: 'BRU-1', weightGrams: 1750 },
    vendor: inTransit('bpost', 'Brussels', 'Antwerp'),
  },
  {
    id: 'RG666666665AT',
    note: 'known to both',
    warehouse: { status: 'dispatched', warehouse: 'VIE-1', weightGrams: 3300 },
    vendor: inTransit('Austrian Post', 'Vienna', 'Graz'),
  },
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
  {
    id: 'RJ999999995IE',
    note: 'known to both',
    warehouse: { status: 'in_storage', warehouse: 'DUB-1', weightGrams: 150 },
    vendor: inTransit('An Post', 'Dublin', 'Cork'),
  },
  {
    id: 'RK135792461PT',
    note: 'known to both',
    warehouse: { status: 'dispatched', warehouse: 'LIS-1', weightGrams: 980 },
    vendor: inTransit('CTT', 'Lisbon', 'Porto'),
  },
  { id: 'RL246813576CZ', note: 'known to neither (404)', warehouse: null, vendor: null },
];

export function findSampleParcel(id: string): SampleParcel | undefined {
  return SAMPLE_PARCELS.find((p) => p.id === id);
}
