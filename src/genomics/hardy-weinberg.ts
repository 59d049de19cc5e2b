/**
 * The exact test of Hardy–Weinberg equilibrium (Wigginton, Cutler & Abecasis 2005): given the
 * number of minor alleles, the probability of each possible heterozygote count follows in closed
 * form; the p-value sums the probabilities of every count no more likely than the one observed.
 * What plink2 `--hardy` reports.
 *
 * @module
 */

import { ArgumentError, describeValue } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';

/**
 * The exact Hardy–Weinberg p-value of a biallelic variant from its genotype counts.
 *
 * With n genotypes and r copies of the rarer allele, P(h hets) ∝ n!·r!·(2n−r)! 2^h /
 * (h!·((r−h)/2)!·(n−(r+h)/2)!·(2n)!), computed by the recurrence from the most likely count
 * outwards. `midP` subtracts half the observed count's probability (Graffelman & Moreno 2013).
 *
 * @param homRef - homozygous reference calls.
 * @param het - heterozygous calls.
 * @param homAlt - homozygous alternate calls.
 * @param options - `midP`: the mid-p variant. Defaults to `false`.
 * @returns the p-value in [0, 1]; 1 for a monomorphic or empty variant.
 * @throws {@link ArgumentError} unless the counts are whole numbers ≥ 0.
 *
 * @example
 * ```ts
 * hardyWeinbergExact(57, 14, 50); // 5.6e-19: far too few heterozygotes
 * hardyWeinbergExact(20, 60, 20); // 0.071
 * ```
 */
export function hardyWeinbergExact(
  homRef: number,
  het: number,
  homAlt: number,
  options?: { midP?: boolean },
): number {
  const { midP } = resolveOptions('hardyWeinbergExact', options, {
    midP: { constraint: { kind: 'boolean' }, default: false },
  });
  for (const [name, v] of [
    ['homRef', homRef],
    ['het', het],
    ['homAlt', homAlt],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ArgumentError(
        `hardyWeinbergExact: \`${name}\` must be a whole number ≥ 0. Received: ${describeValue(v)}.`,
      );
    }
  }
  const n = homRef + het + homAlt;
  const homRare = Math.min(homRef, homAlt);
  const rare = 2 * homRare + het;
  if (n === 0 || rare === 0) return 1;
  const probs = new Float64Array(rare + 1);
  let mid = Math.floor((rare * (2 * n - rare)) / (2 * n));
  if ((mid & 1) !== (rare & 1)) mid++;
  probs[mid] = 1;
  let sum = 1;
  let currRare = (rare - mid) / 2;
  let currCommon = n - mid - currRare;
  for (let h = mid; h > 1; h -= 2) {
    probs[h - 2] = (probs[h]! * h * (h - 1)) / (4 * (currRare + 1) * (currCommon + 1));
    sum += probs[h - 2]!;
    currRare++;
    currCommon++;
  }
  currRare = (rare - mid) / 2;
  currCommon = n - mid - currRare;
  for (let h = mid; h <= rare - 2; h += 2) {
    probs[h + 2] = (probs[h]! * 4 * currRare * currCommon) / ((h + 2) * (h + 1));
    sum += probs[h + 2]!;
    currRare--;
    currCommon--;
  }
  const observed = probs[het]! / sum;
  // counts as likely as the observed one, up to rounding, count in full
  const limit = observed * (1 + 1e-7);
  let p = 0;
  for (let h = rare & 1; h <= rare; h += 2) {
    const q = probs[h]! / sum;
    if (q <= limit) p += q;
  }
  if (midP) p -= observed / 2;
  return Math.min(1, Math.max(0, p));
}
