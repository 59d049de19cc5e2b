/**
 * Linkage-disequilibrium pruning (plink's `--indep-pairwise`): slide a window of variants along
 * the genome and, within it, drop one variant of every pair whose genotype correlation r²
 * exceeds a threshold (the one with the lower minor-allele frequency), leaving a set of roughly
 * independent variants for principal components or relatedness.
 *
 * @module
 */
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { alleleFrequencies, type GenotypeMatrix } from './preprocess.js';

/** Options of {@link ldPrune}. */
export interface LdPruneOptions {
  /** Variants per window. Defaults to 50. */
  window?: number;
  /** Variants the window moves each time. Defaults to 5. */
  step?: number;
  /** The r² above which one of a pair is dropped. Defaults to 0.2. */
  r2?: number;
  /** The chromosome of each variant: windows do not cross chromosomes. Defaults to one chromosome. */
  chrom?: readonly string[];
}

/**
 * The squared Pearson correlation of two variants' allele counts over the samples called at
 * both (0 when either is constant there).
 *
 * @internal
 */
export function genotypeR2(matrix: GenotypeMatrix, a: number, b: number): number {
  const { genotypes, samples: n, variants: m } = matrix;
  let count = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let s = 0; s < n; s++) {
    const x = genotypes[s * m + a]!;
    const y = genotypes[s * m + b]!;
    if (x < 0 || y < 0) continue;
    count++;
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  if (count < 2) return 0;
  const cov = sab - (sa * sb) / count;
  const va = saa - (sa * sa) / count;
  const vb = sbb - (sb * sb) / count;
  if (va <= 0 || vb <= 0) return 0;
  return (cov * cov) / (va * vb);
}

/**
 * Prunes variants in linkage disequilibrium.
 *
 * For each window (of `window` variants, moving by `step`, within one chromosome), every pair of
 * variants still kept whose r² exceeds `r2` loses its lower-MAF member (the later one on a tie).
 *
 * @param matrix - genotypes (row = sample, −1 missing), variants in genomic order.
 * @param options - see {@link LdPruneOptions}.
 * @returns the kept variants' indices, ascending.
 * @throws {@link ArgumentError} for bad options; {@link ShapeError} when `chrom` has another
 *   length than the variants.
 *
 * @example
 * ```ts
 * const independent = ldPrune(matrix, { window: 50, step: 5, r2: 0.2, chrom: variants.map((v) => v.chrom) });
 * ```
 */
export function ldPrune(matrix: GenotypeMatrix, options?: LdPruneOptions): number[] {
  const fn = 'ldPrune';
  const o = resolveOptions(fn, options, {
    window: { constraint: { kind: 'number', integer: true, min: 2 }, default: 50 },
    step: { constraint: { kind: 'number', integer: true, min: 1 }, default: 5 },
    r2: { constraint: { kind: 'number', min: 0, max: 1 }, default: 0.2 },
    chrom: { constraint: { kind: 'any' } },
  });
  const { genotypes, samples: n, variants: m } = matrix;
  if (!(genotypes instanceof Int8Array) || genotypes.length !== n * m) {
    throw new ShapeError(
      `${fn}: \`matrix\` must be { genotypes: Int8Array, samples, variants } with samples × variants calls.`,
    );
  }
  if (o.chrom !== undefined && (!Array.isArray(o.chrom) || o.chrom.length !== m)) {
    throw new ShapeError(
      `${fn}: \`chrom\` must name the chromosome of each of the ${m} variants. Received: ${describeValue(o.chrom)}.`,
    );
  }
  const window = o.window;
  const step = o.step;
  if (step > window)
    throw new ArgumentError(`${fn}: \`step\` (${step}) must not exceed \`window\` (${window}).`);
  const threshold = o.r2;
  const maf = alleleFrequencies(matrix).map((p) => Math.min(p, 1 - p));
  const kept = new Uint8Array(m).fill(1);
  // chromosome runs
  const runs: [number, number][] = [];
  let start = 0;
  for (let v = 1; v <= m; v++) {
    if (v === m || (o.chrom && o.chrom[v] !== o.chrom[start])) {
      runs.push([start, v]);
      start = v;
    }
  }
  for (const [from, to] of runs) {
    for (let w = from; w < to; w += step) {
      const end = Math.min(to, w + window);
      for (let i = w; i < end; i++) {
        if (!kept[i]) continue;
        for (let j = i + 1; j < end && kept[i]; j++) {
          if (!kept[j]) continue;
          if (genotypeR2(matrix, i, j) > threshold) {
            if (maf[i]! < maf[j]!) kept[i] = 0;
            else kept[j] = 0;
          }
        }
      }
      if (end === to) break;
    }
  }
  const out: number[] = [];
  for (let v = 0; v < m; v++) if (kept[v]) out.push(v);
  return out;
}
