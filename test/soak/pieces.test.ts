import { describe, expect, it } from 'vitest';
import { growingPieces } from './pieces';

const series = (...mb: number[]) => mb.map((v) => ({ piece: v }));

describe('growingPieces', () => {
  it('names a piece that climbs by about the same step at every checkpoint', () => {
    expect(growingPieces(series(100, 120, 141, 160))).toEqual(['piece']);
  });

  it('leaves alone warm-up that levels off, a piece that dips, and growth under the threshold', () => {
    expect(growingPieces(series(100, 121, 140, 143))).toEqual([]);
    expect(growingPieces(series(100, 130, 125, 160))).toEqual([]);
    expect(growingPieces(series(100, 105, 110, 115))).toEqual([]);
  });

  it('leaves alone a short run whose last burst raised RSS by less than the floor in MB', () => {
    expect(growingPieces(series(98, 102, 105, 124))).toEqual([]);
    expect(growingPieces(series(98, 102, 105, 124), 0.25, 16)).toEqual(['piece']);
  });

  it('needs three checkpoints to say anything', () => {
    expect(growingPieces(series(100, 200))).toEqual([]);
  });
});
