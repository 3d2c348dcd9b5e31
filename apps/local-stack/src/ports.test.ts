import { readLocalStackConfig } from '@parcel/config';
import { describe, expect, it } from 'vitest';
import { freeStackAddresses } from './ports';

describe('freeStackAddresses', () => {
  it('moves every piece of the launcher to its own port, in variables the launcher reads', async () => {
    const addresses = await freeStackAddresses();
    const config = readLocalStackConfig(addresses);
    const ports = Object.values(addresses).map((value) => Number(value.match(/(\d+)\/?$/)?.[1]));
    expect(new Set(ports).size).toBe(Object.keys(addresses).length);
    expect(config.vendorBaseUrl).toMatch(/^https:\/\/vendor\.localhost:\d+$/);
    expect(config.postgresPort).toBe(Number(addresses.POSTGRES_PORT));
  });
});
