/**
 * Multiple-testing adjustment of a scan's p-values: Bonferroni and Benjamini–Hochberg.
 *
 * @module
 */
import { ArgumentError, describeValue } from '../core/errors.js';

/**
 * Adjusts p-values for multiple testing: Bonferroni (p·m, capped at 1) or Benjamini–Hochberg
 * (the step-up false-discovery-rate q-values). NaN p-values stay NaN and do not count in m.
 *
 * @param p - the p-values.
 * @param method - `'bonferroni'` or `'bh'`.
 * @returns adjusted values, in the input's order.
 * @throws {@link ArgumentError} for values outside [0, 1] or an unknown method.
 *
 * @example
 * ```ts
 * adjustPValues([0.01, 0.04, 0.03], 'bh'); // [0.03, 0.04, 0.04]
 * ```
 */
export function adjustPValues(p: readonly number[], method: 'bonferroni' | 'bh'): number[] {
  const fn = 'adjustPValues';
  if (method !== 'bonferroni' && method !== 'bh') {
    throw new ArgumentError(
      `${fn}: \`method\` must be 'bonferroni' or 'bh'. Received: ${describeValue(method)}.`,
    );
  }
  p.forEach((v, i) => {
    if (!Number.isNaN(v) && !(v >= 0 && v <= 1))
      throw new ArgumentError(
        `${fn}: p-values must be in [0, 1]. Received: ${describeValue(v)} at index ${i}.`,
      );
  });
  const idx = p.map((_, i) => i).filter((i) => !Number.isNaN(p[i]!));
  const m = idx.length;
  const out = p.map(() => Number.NaN);
  if (method === 'bonferroni') {
    for (const i of idx) out[i] = Math.min(1, p[i]! * m);
    return out;
  }
  idx.sort((a, b) => p[b]! - p[a]!);
  let running = 1;
  idx.forEach((i, r) => {
    const rank = m - r;
    running = Math.min(running, (p[i]! * m) / rank);
    out[i] = running;
  });
  return out;
}
