/**
 * Per-variant association testing for a case/control phenotype: for each variant a logistic
 * regression of the phenotype on the genotype (additive, dominant or recessive) and the
 * covariates (sex, age, principal components, …), with Wald or likelihood-ratio p-values, odds
 * ratios with confidence intervals, and Firth's penalised likelihood (Firth 1993; Heinze &
 * Schemper 2002) for variants whose carriers are all cases or all controls (separation), as
 * plink2 `--glm` does. The careful Newton/Firth fit is `solvers/logistic-newton.ts`; the
 * adjustment of the p-values for multiple testing is `multiple-testing.ts`.
 *
 * @module
 */
import { chiSquareSf, normalTwoSidedP, normalTwoSidedZ } from '../core/distributions.js';
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import type { GenotypeMatrix } from './preprocess.js';
import { choleskyInverse } from './solvers/dense.js';
import { type Fit, logisticFit, logLikelihood } from './solvers/logistic-newton.js';

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

/** Why a variant has no statistics (a reason, not an exception: the scan goes on). */
export type AssociationFailure =
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
  error: AssociationFailure | null;
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
 * What every variant of one scan shares: the samples with a known phenotype, their covariates
 * (the intercept first) and the pairwise covariate products that the information matrix sums,
 * all column-major; and the covariates-only (null) model with its probabilities, weights and
 * residuals, and its sums over all those samples.
 */
interface ScanContext {
  /** Known-phenotype sample indices. */
  rows: Int32Array;
  y: Float64Array;
  /** Columns of the covariate part, the intercept first: kc = 1 + covariates. */
  kc: number;
  /** kc columns of rows.length values. */
  xc: Float64Array;
  /** The covariates' pairwise products xc_a·xc_b, 1 ≤ b ≤ a, by a then b: (kc − 1)·kc/2 columns. */
  pairs: Float64Array;
  /**
   * The null model as a start, in [intercept, g = 0, covariates…] order, or undefined when it did
   * not converge.
   */
  start: Float64Array | undefined;
  /** The null model's weight p(1 − p) and residual y − p, per known row. */
  w0: Float64Array;
  r0: Float64Array;
  /** Σ w0·xc_a·xc_b (0 ≤ b ≤ a, by a then b) and Σ r0·xc_a over every known row. */
  pairs0: Float64Array;
  score0: Float64Array;
}

/** One variant's samples and the scratch space of {@link fastPlainFit}, sized once per scan. */
interface FitScratch {
  /** The used samples' index into the context's rows, and their encoded genotypes. */
  at: Int32Array;
  g: Float64Array;
  used: number;
  /** Known rows without a called genotype. */
  missing: Int32Array;
  nMissing: number;
  /** The context's columns and phenotype gathered to the used samples (when some are missing). */
  xc: Float64Array;
  pairs: Float64Array;
  y: Float64Array;
  z: Float64Array;
  w: Float64Array;
  wg: Float64Array;
  res: Float64Array;
  beta: Float64Array;
  info: Float64Array;
  score: Float64Array;
  pairSums: Float64Array;
  cg: Float64Array;
  sc: Float64Array;
}

/**
 * The plain (unpenalised) fit of one variant by full Newton steps, one pass over the samples per
 * step, accumulating the score and the information matrix together (column by column, so the
 * sums stay in registers). The first step starts at the null model, whose probabilities are
 * known: its sums are the null model's totals less the samples without a call, plus the genotype
 * terms over the carriers, and it needs no exponentials. Stops when the Newton decrement
 * scoreᵀ·I⁻¹·score falls below 1e-12 (the estimate is then within 1e-6 standard errors of the
 * maximum, and quadratic convergence puts the final step's result far closer); the covariance is
 * the inverse information of the last pass. Returns undefined when this fast path cannot decide
 * (the decrement grows, a non-finite value, no convergence in `maxIter` passes, a singular
 * information matrix): the caller then uses {@link logisticFit}, with step halving.
 */
function fastPlainFit(ctx: ScanContext, s: FitScratch, maxIter: number): Fit | undefined {
  if (!ctx.start) return undefined;
  const { kc } = ctx;
  const nk = ctx.rows.length;
  const k = kc + 1;
  const nCovPairs = ((kc - 1) * kc) / 2;
  const { at, g, used, beta, info, score, pairSums, cg, sc, z, w, wg, res } = s;
  // the used samples' columns: the context's own when every known sample has a call
  const dense = used === nk;
  const xc = dense ? ctx.xc : s.xc;
  const pairs = dense ? ctx.pairs : s.pairs;
  const y = dense ? ctx.y : s.y;
  if (!dense) {
    for (let a = 0; a < kc; a++)
      for (let t = 0; t < used; t++) xc[a * used + t] = ctx.xc[a * nk + at[t]!]!;
    for (let q = 0; q < nCovPairs; q++)
      for (let t = 0; t < used; t++) pairs[q * used + t] = ctx.pairs[q * nk + at[t]!]!;
    for (let t = 0; t < used; t++) y[t] = ctx.y[at[t]!]!;
  }
  // beta in [intercept, g, covariates…] order
  beta.set(ctx.start);
  let previous = Number.POSITIVE_INFINITY;
  const step = new Float64Array(k);
  for (let pass = 0; pass < maxIter; pass++) {
    let gg = 0;
    let sg = 0;
    if (pass === 0) {
      // at the null model: its totals less the uncalled samples; genotype terms over carriers
      const { missing, nMissing } = s;
      pairSums.set(ctx.pairs0);
      for (let i = 0; i < nMissing; i++) {
        const r = missing[i]!;
        let q = 0;
        for (let a = 0; a < kc; a++) {
          const wx = ctx.w0[r]! * ctx.xc[a * nk + r]!;
          for (let b = 0; b <= a; b++) pairSums[q++]! -= wx * ctx.xc[b * nk + r]!;
        }
      }
      cg.fill(0);
      for (let a = 0; a < kc; a++) {
        let v = ctx.score0[a]!;
        for (let i = 0; i < nMissing; i++)
          v -= ctx.r0[missing[i]!]! * ctx.xc[a * nk + missing[i]!]!;
        sc[a] = v;
      }
      for (let t = 0; t < used; t++) {
        const gi = g[t]!;
        if (gi === 0) continue;
        const r = at[t]!;
        const wgi = ctx.w0[r]! * gi;
        gg += wgi * gi;
        sg += ctx.r0[r]! * gi;
        for (let a = 0; a < kc; a++) cg[a]! += wgi * ctx.xc[a * nk + r]!;
      }
    } else {
      const b0 = beta[0]!;
      const bg = beta[1]!;
      for (let t = 0; t < used; t++) z[t] = b0 + bg * g[t]!;
      for (let j = 1; j < kc; j++) {
        const bj = beta[1 + j]!;
        const off = j * used;
        for (let t = 0; t < used; t++) z[t]! += bj * xc[off + t]!;
      }
      // the intercept's sums (its column is ones) along with the weights
      let sw = 0;
      let swg = 0;
      let sr = 0;
      for (let t = 0; t < used; t++) {
        const zt = z[t]!;
        const gi = g[t]!;
        // one exponential per sample: e = e^{−|z|}, σ(z) and σ(z)(1 − σ(z)) both follow from it
        const e = Math.exp(-Math.abs(zt));
        const q = 1 / (1 + e);
        const wi = e * q * q;
        const ri = y[t]! - (zt >= 0 ? q : e * q);
        const wgi = wi * gi;
        w[t] = wi;
        wg[t] = wgi;
        res[t] = ri;
        sw += wi;
        swg += wgi;
        sr += ri;
        gg += wgi * gi;
        sg += ri * gi;
      }
      pairSums[0] = sw;
      cg[0] = swg;
      sc[0] = sr;
      // Σ w·x, Σ wg·x, Σ res·x for each covariate, one load of x for the three
      for (let a = 1; a < kc; a++) {
        const off = a * used;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        for (let t = 0; t < used; t++) {
          const x = xc[off + t]!;
          s0 += w[t]! * x;
          s1 += wg[t]! * x;
          s2 += res[t]! * x;
        }
        pairSums[(a * (a + 1)) / 2] = s0;
        cg[a] = s1;
        sc[a] = s2;
      }
      // Σ w·x_a·x_b over the covariates' pairs, two at a time (one load of w for both)
      let p = 0;
      for (let a = 1; a < kc; a++) {
        for (let b = 1; b <= a; b++, p++) {
          const q = (a * (a + 1)) / 2 + b;
          const off = p * used;
          let v = 0;
          if (b < a) {
            let v2 = 0;
            const off2 = off + used;
            for (let t = 0; t < used; t++) {
              const wt = w[t]!;
              v += wt * pairs[off + t]!;
              v2 += wt * pairs[off2 + t]!;
            }
            pairSums[q + 1] = v2;
            b++;
            p++;
          } else {
            for (let t = 0; t < used; t++) v += w[t]! * pairs[off + t]!;
          }
          pairSums[q] = v;
        }
      }
    }
    // assemble I and the score in [intercept, g, covariates…] order
    let q = 0;
    for (let a = 0; a < kc; a++) {
      const ia = a === 0 ? 0 : a + 1;
      for (let b = 0; b <= a; b++, q++) {
        const ib = b === 0 ? 0 : b + 1;
        info[ia * k + ib] = pairSums[q]!;
        info[ib * k + ia] = pairSums[q]!;
      }
      info[ia * k + 1] = cg[a]!;
      info[k + ia] = cg[a]!;
      score[ia] = sc[a]!;
    }
    info[k + 1] = gg;
    score[1] = sg;
    const factor = choleskyInverse(info, k);
    if (!factor) return undefined;
    let decrement = 0;
    for (let a = 0; a < k; a++) {
      let v = 0;
      for (let b = 0; b < k; b++) v += factor.inv[a * k + b]! * score[b]!;
      step[a] = v;
      decrement += v * score[a]!;
    }
    if (!Number.isFinite(decrement) || decrement > previous) return undefined;
    for (let a = 0; a < k; a++) beta[a]! += step[a]!;
    if (decrement < 1e-12) {
      return {
        beta: Float64Array.from(beta),
        cov: factor.inv,
        logLik: Number.NaN,
        converged: true,
      };
    }
    previous = decrement;
  }
  return undefined;
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
  const o = resolveOptions(fn, options, SPECS);
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
  const zCrit = normalTwoSidedZ(1 - o.confidence);
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
  const maxIter = o.maxIter;
  const results: AssociationResult[] = [];
  const nan = Number.NaN;
  // the null model (intercept + covariates) on every sample with a known phenotype
  const kc = k - 1;
  const nk = known.length;
  const nPairs = (kc * (kc + 1)) / 2;
  const ctx: ScanContext = {
    rows: Int32Array.from(known),
    y: new Float64Array(nk),
    kc,
    xc: new Float64Array(nk * kc),
    pairs: new Float64Array((nk * (kc - 1) * kc) / 2),
    start: undefined,
    w0: new Float64Array(nk),
    r0: new Float64Array(nk),
    pairs0: new Float64Array(nPairs),
    score0: new Float64Array(kc),
  };
  const xcRows = new Float64Array(nk * kc);
  known.forEach((i, r) => {
    ctx.y[r] = phenotype[i]!;
    xcRows[r * kc] = 1;
    for (let j = 0; j < c; j++) xcRows[r * kc + 1 + j] = cov![i]![j]!;
    let q = 0;
    for (let a = 0; a < kc; a++) {
      ctx.xc[a * nk + r] = xcRows[r * kc + a]!;
      for (let b = 1; b <= a; b++)
        ctx.pairs[q++ * nk + r] = xcRows[r * kc + a]! * xcRows[r * kc + b]!;
    }
  });
  {
    const fit0 = logisticFit(xcRows, ctx.y, nk, kc, new Float64Array(kc), false, maxIter);
    if (fit0?.converged) {
      ctx.start = new Float64Array(k);
      ctx.start[0] = fit0.beta[0]!;
      for (let j = 0; j < c; j++) ctx.start[2 + j] = fit0.beta[1 + j]!;
      for (let r = 0; r < nk; r++) {
        let z = 0;
        for (let j = 0; j < kc; j++) z += fit0.beta[j]! * xcRows[r * kc + j]!;
        const pr = 1 / (1 + Math.exp(-z));
        ctx.w0[r] = pr * (1 - pr);
        ctx.r0[r] = ctx.y[r]! - pr;
        let q = 0;
        for (let a = 0; a < kc; a++)
          for (let b = 0; b <= a; b++)
            ctx.pairs0[q++]! += ctx.w0[r]! * xcRows[r * kc + a]! * xcRows[r * kc + b]!;
        for (let a = 0; a < kc; a++) ctx.score0[a]! += ctx.r0[r]! * ctx.xc[a * nk + r]!;
      }
    }
  }
  const scratch: FitScratch = {
    at: new Int32Array(nk),
    g: new Float64Array(nk),
    used: 0,
    missing: new Int32Array(nk),
    nMissing: 0,
    xc: new Float64Array(nk * kc),
    pairs: new Float64Array((nk * (kc - 1) * kc) / 2),
    y: new Float64Array(nk),
    z: new Float64Array(nk),
    w: new Float64Array(nk),
    wg: new Float64Array(nk),
    res: new Float64Array(nk),
    beta: new Float64Array(k),
    info: new Float64Array(k * k),
    score: new Float64Array(k),
    pairSums: new Float64Array(nPairs),
    cg: new Float64Array(kc),
    sc: new Float64Array(kc),
  };
  // the design matrix [1, g, covariates…] of the variant's used samples, for the careful paths
  const design = (): { X: Float64Array; y: Float64Array } => {
    const nv = scratch.used;
    const X = new Float64Array(nv * k);
    const y = new Float64Array(nv);
    for (let t = 0; t < nv; t++) {
      const r = scratch.at[t]!;
      X[t * k] = 1;
      X[t * k + 1] = scratch.g[t]!;
      for (let j = 1; j < kc; j++) X[t * k + 1 + j] = ctx.xc[j * nk + r]!;
      y[t] = ctx.y[r]!;
    }
    return { X, y };
  };
  const empty = (variant: number, used: number, error: AssociationFailure): AssociationResult => ({
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
  // every fit starts from the covariates-only fit: a few Newton steps then suffice
  const start = ctx.start ?? new Float64Array(k);
  // samples and cases per encoded genotype (0, 1, 2)
  const count = new Float64Array(3);
  const caseCount = new Float64Array(3);
  // the genotypes of a block of variants, variant-major (rows of the matrix are samples)
  const BLOCK = 256;
  const block = new Int8Array(BLOCK * nk);
  for (let v = 0; v < m; v++) {
    const j = v % BLOCK;
    if (j === 0) {
      const width = Math.min(BLOCK, m - v);
      for (let r = 0; r < nk; r++) {
        const from = ctx.rows[r]! * m + v;
        for (let b = 0; b < width; b++) block[b * nk + r] = genotypes[from + b]!;
      }
    }
    let nv = 0;
    let nMissing = 0;
    count.fill(0);
    caseCount.fill(0);
    for (let r = 0; r < nk; r++) {
      const raw = block[j * nk + r]!;
      if (raw < 0) {
        scratch.missing[nMissing++] = r;
        continue;
      }
      const g = encode(raw);
      scratch.at[nv] = r;
      scratch.g[nv++] = g;
      count[g]!++;
      caseCount[g]! += ctx.y[r]!;
    }
    scratch.used = nv;
    scratch.nMissing = nMissing;
    if (nv <= k) {
      results.push(empty(v, nv, 'too-few-samples'));
      continue;
    }
    const gMin = count[0]! > 0 ? 0 : count[1]! > 0 ? 1 : 2;
    if (count[gMin] === nv) {
      results.push(empty(v, nv, 'constant-genotype'));
      continue;
    }
    // separation on the genotype: every sample above the lowest genotype is a case (or a control)
    let carriers = 0;
    let carriersCases = 0;
    for (let g = gMin + 1; g < 3; g++) {
      carriers += count[g]!;
      carriersCases += caseCount[g]!;
    }
    const separated = carriersCases === 0 || carriersCases === carriers;
    let fit: Fit | undefined;
    let data: { X: Float64Array; y: Float64Array } | undefined;
    let firth = o.firth === 'always';
    if (!firth && !separated) {
      fit = fastPlainFit(ctx, scratch, maxIter);
      if (!fit) {
        data = design();
        fit = logisticFit(data.X, data.y, nv, k, start, false, maxIter);
      }
    }
    if (!firth && (separated || !fit || !fit.converged)) {
      if (o.firth === 'never') {
        results.push(empty(v, nv, separated ? 'separation' : 'not-converged'));
        continue;
      }
      firth = true;
    }
    if (firth) {
      data ??= design();
      fit = logisticFit(data.X, data.y, nv, k, start, true, Math.max(maxIter, 100));
    }
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
      const { X, y } = data ?? design();
      const X0 = new Float64Array(nv * (k - 1));
      for (let r = 0; r < nv; r++) {
        X0[r * (k - 1)] = 1;
        for (let j = 0; j < c; j++) X0[r * (k - 1) + 1 + j] = X[r * k + 2 + j]!;
      }
      const null0 = logisticFit(X0, y, nv, k - 1, new Float64Array(k - 1), false, maxIter);
      if (null0?.converged) {
        const logLik = Number.isNaN(fit.logLik) ? logLikelihood(X, y, nv, k, fit.beta) : fit.logLik;
        lrtStat = Math.max(0, 2 * (logLik - null0.logLik));
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
