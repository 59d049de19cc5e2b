/**
 * `simulateCohort`: case/control phenotypes with known causal variants, on simulated genotypes
 * (Hardy–Weinberg proportions at random allele frequencies) or on real ones, for tests, demos
 * and power checks: the truth is known, so a scan or a classifier can be judged by whether it
 * finds the causal variants.
 *
 * @module
 */
import { ArgumentError, describeValue } from '../core/errors.js';
import { Random, type Seed } from '../core/random.js';
import { resolveOptions } from '../core/validate.js';
import type { GenotypeMatrix } from './preprocess.js';

/** Options of {@link simulateCohort}. */
export interface SimulateCohortOptions {
  /** Samples to simulate (ignored with `genotypes`). Defaults to 1000. */
  samples?: number;
  /** Variants to simulate (ignored with `genotypes`). Defaults to 500. */
  variants?: number;
  /** Real genotypes to put the phenotype on (−1 calls count as 0 in the model). */
  genotypes?: GenotypeMatrix;
  /** Minor-allele frequencies of simulated variants, uniform in this range. Defaults to [0.05, 0.5]. */
  mafRange?: readonly [number, number];
  /** How many variants are causal. Defaults to 10. */
  causal?: number;
  /** Per-allele log odds ratios of the causal variants, drawn N(0, effectSd²). Defaults to 0.5. */
  effectSd?: number;
  /** The share of cases the intercept is tuned to. Defaults to 0.5. */
  prevalence?: number;
  /** Missing calls: the share of genotypes set to −1. Defaults to 0. */
  missingRate?: number;
  /** The seed. Defaults to 0. */
  seed?: Seed;
}

/** A simulated cohort and its truth. */
export interface SimulatedCohort {
  /** The genotypes (row = sample). */
  matrix: GenotypeMatrix;
  /** 1 case, 0 control. */
  phenotype: number[];
  /** The causal variants' columns, ascending. */
  causal: number[];
  /** Their per-allele log odds ratios, in the order of `causal`. */
  effects: number[];
  /** The intercept of the true model. */
  intercept: number;
}

/**
 * Simulates a case/control cohort: logit P(case) = b₀ + Σ_causal β_j·g_j, with b₀ chosen so
 * that the expected share of cases is `prevalence`.
 *
 * @param options - see {@link SimulateCohortOptions}.
 * @returns genotypes, phenotype and the causal variants with their effects.
 * @throws {@link ArgumentError} for bad options (more causal variants than variants, …).
 *
 * @example
 * ```ts
 * const { matrix, phenotype, causal } = simulateCohort({ samples: 2000, variants: 1000, causal: 5, seed: 1 });
 * ```
 */
export function simulateCohort(options?: SimulateCohortOptions): SimulatedCohort {
  const fn = 'simulateCohort';
  const o = resolveOptions(fn, options, {
    samples: { constraint: { kind: 'number', integer: true, min: 2 }, default: 1000 },
    variants: { constraint: { kind: 'number', integer: true, min: 1 }, default: 500 },
    genotypes: { constraint: { kind: 'object' } },
    mafRange: { constraint: { kind: 'any' }, default: [0.05, 0.5] },
    causal: { constraint: { kind: 'number', integer: true, min: 0 }, default: 10 },
    effectSd: { constraint: { kind: 'number', min: 0 }, default: 0.5 },
    prevalence: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
      default: 0.5,
    },
    missingRate: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const range = o.mafRange;
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !(range[0] >= 0 && range[0] <= range[1] && range[1] <= 0.5)
  ) {
    throw new ArgumentError(
      `${fn}: \`mafRange\` must be [low, high] with 0 ≤ low ≤ high ≤ 0.5. Received: ${describeValue(range)}.`,
    );
  }
  const rng = new Random(o.seed);
  let matrix: GenotypeMatrix;
  if (o.genotypes) {
    matrix = { ...o.genotypes, genotypes: Int8Array.from(o.genotypes.genotypes) };
  } else {
    const n = o.samples;
    const m = o.variants;
    const maf = Array.from({ length: m }, () => rng.uniform(range[0], range[1]));
    const g = new Int8Array(n * m);
    for (let s = 0; s < n; s++) {
      for (let v = 0; v < m; v++)
        g[s * m + v] = (rng.nextFloat() < maf[v]! ? 1 : 0) + (rng.nextFloat() < maf[v]! ? 1 : 0);
    }
    matrix = { genotypes: g, samples: n, variants: m };
  }
  const { samples: n, variants: m, genotypes } = matrix;
  const k = o.causal;
  if (k > m)
    throw new ArgumentError(`${fn}: \`causal\` (${k}) exceeds the number of variants (${m}).`);
  const causal = Array.from(rng.permutation(m).subarray(0, k)).sort((a, b) => a - b);
  const effects = causal.map(() => rng.normal(0, o.effectSd));
  const signal = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    causal.forEach((v, j) => {
      signal[s]! += effects[j]! * Math.max(0, genotypes[s * m + v]!);
    });
  }
  // the intercept giving the asked prevalence (bisection on the mean risk)
  const target = o.prevalence;
  let lo = -50;
  let hi = 50;
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    let mean = 0;
    for (let s = 0; s < n; s++) mean += 1 / (1 + Math.exp(-(mid + signal[s]!)));
    if (mean / n < target) lo = mid;
    else hi = mid;
  }
  const intercept = (lo + hi) / 2;
  const phenotype = Array.from(signal, (z) =>
    rng.nextFloat() < 1 / (1 + Math.exp(-(intercept + z))) ? 1 : 0,
  );
  const missing = o.missingRate;
  if (missing > 0)
    for (let i = 0; i < genotypes.length; i++) if (rng.nextFloat() < missing) genotypes[i] = -1;
  return { matrix, phenotype, causal, effects, intercept };
}
