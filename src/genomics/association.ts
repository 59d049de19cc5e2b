/**
 * Per-variant association testing for a case/control phenotype: for each variant a logistic
 * regression of the phenotype on the genotype (additive, dominant or recessive) and the
 * covariates (sex, age, principal components, …), with Wald or likelihood-ratio p-values, odds
 * ratios with confidence intervals, and Firth's penalised likelihood (Firth 1993; Heinze &
 * Schemper 2002) for variants whose carriers are all cases or all controls (separation), as
 * plink2 `--glm` does; and Bonferroni or Benjamini–Hochberg adjustment of the p-values.
 *
 * @module
 */
import { chiSquareSf, normalTwoSidedP, normalTwoSidedZ } from '../core/distributions.js';
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import type { GenotypeMatrix } from './preprocess.js';

/** Options of {@link associationScan}. */
export interface AssociationOptions {
  /** Covariates, one row per sample (e.g. sex, age, principal components). Defaults to none. */
  covariates?: readonly (readonly number[])[];
  /** `'wald'` (β/SE against the normal) or `'lrt'` (likelihood ratio against χ²₁). Defaults to `'wald'`. */
  test?: 'wald' | 'lrt';
  /**
   * Firth's penalised likelihood: `'never'` (a separated variant reports an error, as plink2
   * `no-firth`), `'fallback'` (used when the plain fit fails: plink2's default), `'always'`
   * (plink2 `firth`). Defaults to `'fallback'`.
   */
  firth?: 'never' | 'fallback' | 'always';
  /** How the genotype enters the model. Defaults to `'additive'` (alternate-allele count). */
  encoding?: 'additive' | 'dominant' | 'recessive';
  /** Coverage of the odds-ratio interval. Defaults to 0.95. */
  confidence?: number;
  /** Newton iterations per fit. Defaults to 25. */
  maxIter?: number;
}

/** Why a variant has no statistics. */
export type AssociationError =
  | 'separation'
  | 'constant-genotype'
  | 'too-few-samples'
  | 'not-converged';

/** One variant's result. Statistics are NaN when `error` is set. */
export interface AssociationResult {
  /** The variant's column in the genotype matrix. */
  variant: number;
  /** Samples used (called genotype, known phenotype and covariates). */
  n: number;
  /** The log odds ratio per unit of the encoded genotype. */
  beta: number;
  /** Its standard error (from the inverse information matrix). */
  se: number;
  /** e^β. */
  oddsRatio: number;
  /** The lower end of the odds ratio's confidence interval. */
  ciLower: number;
  /** The upper end of the odds ratio's confidence interval. */
  ciUpper: number;
  /** The Wald statistic β/SE. */
  z: number;
  /** The likelihood-ratio statistic (with `test: 'lrt'`). */
  lrtStat?: number;
  /** The p-value of the chosen test. */
  p: number;
  /** Whether Firth's penalised likelihood produced these numbers. */
  firth: boolean;
  /** Why there are no statistics, or `null`. */
  error: AssociationError | null;
}

const SPECS = {
  covariates: { constraint: { kind: 'any' } },
  test: { constraint: { kind: 'string', oneOf: ['wald', 'lrt'] }, default: 'wald' },
  firth: {
    constraint: { kind: 'string', oneOf: ['never', 'fallback', 'always'] },
    default: 'fallback',
  },
  encoding: {
    constraint: { kind: 'string', oneOf: ['additive', 'dominant', 'recessive'] },
    default: 'additive',
  },
  confidence: {
    constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
    default: 0.95,
  },
  maxIter: { constraint: { kind: 'number', integer: true, min: 1 }, default: 25 },
} as const;

/**
 * The inverse of a symmetric positive-definite k×k A through its Cholesky factor, with log|A|
 * (twice the sum of the factor's log-diagonal); undefined when A is not positive definite.
 */
function choleskyInverse(
  A: Float64Array,
  k: number,
): { inv: Float64Array; logDet: number } | undefined {
  const L = new Float64Array(k * k);
  let logDet = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j]!;
      for (let m = 0; m < j; m++) s -= L[i * k + m]! * L[j * k + m]!;
      if (i === j) {
        if (!(s > 1e-300)) return undefined;
        L[i * k + i] = Math.sqrt(s);
        logDet += Math.log(s);
      } else {
        L[i * k + j] = s / L[j * k + j]!;
      }
    }
  }
  // inverse of L, then A⁻¹ = L⁻ᵀ L⁻¹
  const Li = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    Li[i * k + i] = 1 / L[i * k + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let m = j; m < i; m++) s -= L[i * k + m]! * Li[m * k + j]!;
      Li[i * k + j] = s / L[i * k + i]!;
    }
  }
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let m = i; m < k; m++) s += Li[m * k + i]! * Li[m * k + j]!;
      inv[i * k + j] = s;
      inv[j * k + i] = s;
    }
  }
  return { inv, logDet };
}

interface Fit {
  beta: Float64Array;
  /** (XᵀWX)⁻¹ at beta. */
  cov: Float64Array;
  /** Log-likelihood (penalised by ½ log|I| for Firth). */
  logLik: number;
  converged: boolean;
}

/**
 * Logistic regression by Newton's method, plain or with Firth's penalty, from `start`.
 * X is n×k row-major.
 */
function logisticFit(
  X: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  start: Float64Array,
  firth: boolean,
  maxIter: number,
): Fit | undefined {
  let beta = Float64Array.from(start);
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  const info = new Float64Array(k * k);
  const score = new Float64Array(k);
  const evaluate = (b: Float64Array): { logLik: number; cov: Float64Array } | undefined => {
    let ll = 0;
    info.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let z = 0;
      for (let j = 0; j < k; j++) z += X[row + j]! * b[j]!;
      // one exponential per sample: e = e^{−|z|}, σ(z) and log(1 + e^z) both follow from it
      const e = Math.exp(-Math.abs(z));
      const pi = z >= 0 ? 1 / (1 + e) : e / (1 + e);
      const wi = pi * (1 - pi);
      p[i] = pi;
      w[i] = wi;
      ll += y[i]! * z - (Math.max(z, 0) + Math.log1p(e));
      for (let a = 0; a < k; a++) {
        const xa = X[row + a]! * wi;
        const at = a * k;
        for (let c = 0; c <= a; c++) info[at + c]! += xa * X[row + c]!;
      }
    }
    for (let a = 0; a < k; a++) for (let c = 0; c < a; c++) info[c * k + a] = info[a * k + c]!;
    const factor = choleskyInverse(info, k);
    if (!factor) return undefined;
    // Firth: the likelihood penalised by ½·log|I|
    if (firth) ll += 0.5 * factor.logDet;
    return { logLik: ll, cov: factor.inv };
  };
  let current = evaluate(beta);
  if (!current) return undefined;
  for (let iter = 0; iter < maxIter; iter++) {
    score.fill(0);
    for (let i = 0; i < n; i++) {
      let r = y[i]! - p[i]!;
      if (firth) {
        // hat value h_i = w_i·x_iᵀ I⁻¹ x_i
        let h = 0;
        for (let a = 0; a < k; a++) {
          let s = 0;
          for (let c = 0; c < k; c++) s += current.cov[a * k + c]! * X[i * k + c]!;
          h += X[i * k + a]! * s;
        }
        r += h * w[i]! * (0.5 - p[i]!);
      }
      for (let a = 0; a < k; a++) score[a]! += r * X[i * k + a]!;
    }
    const step = new Float64Array(k);
    let largest = 0;
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += current.cov[a * k + c]! * score[c]!;
      step[a] = s;
      largest = Math.max(largest, Math.abs(s));
    }
    // step halving until the (penalised) likelihood does not fall
    let t = 1;
    let next: { logLik: number; cov: Float64Array } | undefined;
    let candidate = beta;
    for (let h = 0; h < 30; h++) {
      candidate = beta.map((b, a) => b + t * step[a]!);
      next = evaluate(candidate);
      if (next && next.logLik >= current.logLik - 1e-12 * Math.abs(current.logLik)) break;
      t /= 2;
      next = undefined;
    }
    if (!next) {
      evaluate(beta);
      return { beta, cov: current.cov, logLik: current.logLik, converged: largest * t < 1e-6 };
    }
    beta = candidate;
    current = next;
    if (largest * t < 1e-6)
      return { beta, cov: current.cov, logLik: current.logLik, converged: true };
  }
  return { beta, cov: current.cov, logLik: current.logLik, converged: false };
}

/**
 * Tests every variant of a genotype matrix for association with a case/control phenotype.
 *
 * Model per variant (samples with a called genotype and known phenotype and covariates):
 * logit P(case) = β₀ + β·g + γᵀc. Wald: z = β̂/SE(β̂), p = P(|Z| ≥ |z|); LRT: 2·(ℓ₁ − ℓ₀) against
 * χ²₁ (ℓ₀ refitted without the genotype on the same samples). Odds ratio e^β̂ with the interval
 * e^{β̂ ± z_{1−α/2}·SE}. Equals plink2 `--glm omit-ref` (no-firth, firth) within 1e-4.
 *
 * @param matrix - genotypes (row = sample, −1 missing), as `readVcf` returns.
 * @param phenotype - 1 for a case, 0 for a control, NaN when unknown; one per sample.
 * @param options - see {@link AssociationOptions}.
 * @returns one result per variant, in column order.
 * @throws {@link ArgumentError} for a phenotype that is not 0/1, a single class, NaN
 *   covariates; {@link ShapeError} for sizes that disagree.
 *
 * @example
 * ```ts
 * const results = associationScan(matrix, phenotype, { covariates, firth: 'fallback' });
 * const hits = results.filter((r) => r.p < 5e-8);
 * ```
 */
export function associationScan(
  matrix: GenotypeMatrix,
  phenotype: readonly number[],
  options?: AssociationOptions,
): AssociationResult[] {
  const fn = 'associationScan';
  const o = resolveOptions<AssociationOptions>(fn, options, SPECS);
  const { genotypes, samples: n, variants: m } = matrix ?? ({} as GenotypeMatrix);
  if (!(genotypes instanceof Int8Array) || genotypes.length !== n * m) {
    throw new ShapeError(
      `${fn}: \`matrix\` must be { genotypes: Int8Array, samples, variants } with samples × variants calls.`,
    );
  }
  if (!Array.isArray(phenotype) || phenotype.length !== n) {
    throw new ShapeError(
      `${fn}: \`phenotype\` must hold one value per sample (${n}). Received: ${describeValue(phenotype)}.`,
    );
  }
  const known: number[] = [];
  phenotype.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    if (v !== 0 && v !== 1)
      throw new ArgumentError(
        `${fn}: \`phenotype\` must hold 1 (case), 0 (control) or NaN. Received: ${describeValue(v)} at index ${i}.`,
      );
    known.push(i);
  });
  const cases = known.filter((i) => phenotype[i] === 1).length;
  if (cases === 0 || cases === known.length) {
    throw new ArgumentError(
      `${fn}: \`phenotype\` holds a single class (${cases === 0 ? 'no cases' : 'no controls'}); a case/control test needs both.`,
    );
  }
  const cov = o.covariates;
  const c = cov?.[0]?.length ?? 0;
  if (cov !== undefined) {
    if (
      !Array.isArray(cov) ||
      cov.length !== n ||
      !cov.every((r) => Array.isArray(r) && r.length === c)
    ) {
      throw new ShapeError(
        `${fn}: \`covariates\` must be one row of ${c} values per sample (${n} rows).`,
      );
    }
    cov.forEach((r: readonly number[], i: number) => {
      r.forEach((v: number, j: number) => {
        if (!Number.isFinite(v))
          throw new ArgumentError(
            `${fn}: \`covariates\` must be finite. Received: ${describeValue(v)} at [${i}, ${j}].`,
          );
      });
    });
  }
  const k = 2 + c;
  const zCrit = normalTwoSidedZ(1 - (o.confidence ?? 0.95));
  const encode = (g: number) =>
    o.encoding === 'dominant'
      ? g > 0
        ? 1
        : 0
      : o.encoding === 'recessive'
        ? g === 2
          ? 1
          : 0
        : g;
  const maxIter = o.maxIter ?? 25;
  const results: AssociationResult[] = [];
  const nan = Number.NaN;
  // the null model (intercept + covariates) on every sample with a known phenotype
  const nullStart = new Float64Array(k);
  {
    const X0 = new Float64Array(known.length * (k - 1));
    const y0 = new Float64Array(known.length);
    known.forEach((i, r) => {
      X0[r * (k - 1)] = 1;
      for (let j = 0; j < c; j++) X0[r * (k - 1) + 1 + j] = cov![i]![j]!;
      y0[r] = phenotype[i]!;
    });
    const fit0 = logisticFit(X0, y0, known.length, k - 1, new Float64Array(k - 1), false, maxIter);
    if (fit0?.converged) {
      nullStart[0] = fit0.beta[0]!;
      for (let j = 0; j < c; j++) nullStart[2 + j] = fit0.beta[1 + j]!;
    }
  }
  const empty = (variant: number, used: number, error: AssociationError): AssociationResult => ({
    variant,
    n: used,
    beta: nan,
    se: nan,
    oddsRatio: nan,
    ciLower: nan,
    ciUpper: nan,
    z: nan,
    p: nan,
    firth: false,
    error,
  });
  for (let v = 0; v < m; v++) {
    const rows: number[] = [];
    for (const i of known) if (genotypes[i * m + v]! >= 0) rows.push(i);
    const nv = rows.length;
    if (nv <= k) {
      results.push(empty(v, nv, 'too-few-samples'));
      continue;
    }
    const X = new Float64Array(nv * k);
    const y = new Float64Array(nv);
    let gMin = Number.POSITIVE_INFINITY;
    let gMax = Number.NEGATIVE_INFINITY;
    rows.forEach((i, r) => {
      const g = encode(genotypes[i * m + v]!);
      gMin = Math.min(gMin, g);
      gMax = Math.max(gMax, g);
      X[r * k] = 1;
      X[r * k + 1] = g;
      for (let j = 0; j < c; j++) X[r * k + 2 + j] = cov![i]![j]!;
      y[r] = phenotype[i]!;
    });
    if (gMin === gMax) {
      results.push(empty(v, nv, 'constant-genotype'));
      continue;
    }
    // separation on the genotype: every sample above the lowest genotype is a case (or a control)
    let carriersCases = 0;
    let carriers = 0;
    rows.forEach((_, r) => {
      if (X[r * k + 1]! > gMin) {
        carriers++;
        carriersCases += y[r]!;
      }
    });
    const separated = carriersCases === 0 || carriersCases === carriers;
    // start from the covariates-only fit: a few Newton steps then suffice
    const start = nullStart;
    let fit: Fit | undefined;
    let firth = o.firth === 'always';
    if (!firth && !separated) fit = logisticFit(X, y, nv, k, start, false, maxIter);
    if (!firth && (separated || !fit || !fit.converged)) {
      if (o.firth === 'never') {
        results.push(empty(v, nv, separated ? 'separation' : 'not-converged'));
        continue;
      }
      firth = true;
    }
    if (firth) fit = logisticFit(X, y, nv, k, start, true, Math.max(maxIter, 100));
    if (!fit?.converged) {
      results.push(empty(v, nv, 'not-converged'));
      continue;
    }
    const beta = fit.beta[1]!;
    const se = Math.sqrt(fit.cov[1 * k + 1]!);
    const z = beta / se;
    let p = normalTwoSidedP(z);
    let lrtStat: number | undefined;
    if (o.test === 'lrt' && !firth) {
      const X0 = new Float64Array(nv * (k - 1));
      for (let r = 0; r < nv; r++) {
        X0[r * (k - 1)] = 1;
        for (let j = 0; j < c; j++) X0[r * (k - 1) + 1 + j] = X[r * k + 2 + j]!;
      }
      const null0 = logisticFit(X0, y, nv, k - 1, new Float64Array(k - 1), false, maxIter);
      if (null0?.converged) {
        lrtStat = Math.max(0, 2 * (fit.logLik - null0.logLik));
        p = chiSquareSf(lrtStat, 1);
      }
    }
    results.push({
      variant: v,
      n: nv,
      beta,
      se,
      oddsRatio: Math.exp(beta),
      ciLower: Math.exp(beta - zCrit * se),
      ciUpper: Math.exp(beta + zCrit * se),
      z,
      ...(lrtStat === undefined ? {} : { lrtStat }),
      p,
      firth,
      error: null,
    });
  }
  return results;
}

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
