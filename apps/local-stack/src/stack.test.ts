import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAUNCHED_APPS } from './stack';

describe('the launcher in the Nx graph', () => {
  it('lists every app it starts as an implicit dependency, and no other', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      nx?: { implicitDependencies?: string[] };
    };
    const declared = [...(manifest.nx?.implicitDependencies ?? [])].sort();
    expect(declared).toEqual(LAUNCHED_APPS.map((app) => `@parcel/${app}`).sort());
  });
});
