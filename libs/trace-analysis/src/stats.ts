/** Nearest-rank percentile of an ascending array (p in 0..100); 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export const ascending = (values: number[]): number[] => values.sort((a, b) => a - b);
