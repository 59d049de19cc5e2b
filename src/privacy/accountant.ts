/**
 * The privacy accountant of DP-SGD: the Rényi differential privacy (RDP) of the sampled Gaussian
 * mechanism, composed over the steps of a training run and converted to (ε, δ)-DP.
 *
 * - RDP of one step at order α (Mironov, Talwar and Zhang 2019, "Rényi differential privacy of
 *   the sampled Gaussian mechanism", §3.3), with sampling rate q and noise multiplier σ:
 *   RDP(α) = ln A_α / (α − 1), where for integer α
 *   A_α = Σᵢ C(α, i) qⁱ (1 − q)^(α−i) exp((i² − i) / 2σ²),
 *   and for fractional α the two-sided series over i of the same binomial terms (signed, C(α, i)
 *   of a non-integer α) with their Gaussian tails ½·erfc((i − z₀)/√2σ) and
 *   ½·erfc((z₀ − (α − i))/√2σ), z₀ = σ² ln(1/q − 1) + ½, summed until a term falls below e⁻³⁰.
 *   q = 1 is the plain Gaussian mechanism, RDP(α) = α / 2σ²; σ = 0 gives ∞.
 * - Composition: RDPs of steps (and of several mechanisms) add.
 * - Conversion (Balle et al. 2020, "Hypothesis testing interpretations and Rényi differential
 *   privacy", Theorem 21): ε = min over α of RDP(α) − (ln δ + ln α)/(α − 1) + ln((α − 1)/α).
 *
 * Everything is computed in double precision in the log domain (log-sum-exp, log-binomials,
 * ln erfc far into its tail), so tiny sampling rates and large orders do not overflow.
 *
 * @module
 */
import { logErfc } from '../core/distributions.js';
import { ArgumentError, describeValue } from '../core/errors.js';
import { argName, resolveOptions } from '../core/validate.js';

/** Opacus's default orders: 1.1 to 10.9 by 0.1, then 12 to 63. */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
];

/** One sampled Gaussian mechanism, repeated. */
export interface GaussianMechanism {
  /** The probability q that an example joins a step (batch size / dataset size), in [0, 1]. */
  sampleRate: number;
  /** σ: the noise's standard deviation over the clipping norm (≥ 0). */
  noiseMultiplier: number;
  /** How many steps it ran (an integer ≥ 0). */
  steps: number;
}

/** Options of {@link dpEpsilon}: one mechanism's fields, or `mechanisms`. */
export interface DpEpsilonOptions extends Partial<GaussianMechanism> {
  /** δ: the probability with which the ε bound may fail, in (0, 1). */
  delta: number;
  /** Several mechanisms run one after the other (their RDPs add), instead of one. */
  mechanisms?: readonly GaussianMechanism[];
  /** The RDP orders α (> 1) to minimise over. Defaults to {@link DEFAULT_ORDERS}. */
  orders?: readonly number[];
}

/** What {@link dpEpsilon} returns. */
export interface DpEpsilon {
  /** ε of (ε, δ)-DP: `Infinity` when there is no guarantee (σ = 0). */
  epsilon: number;
  /** The order α at which the bound is tightest (NaN when ε is infinite). */
  order: number;
}

/** ln(eᵃ + eᵇ). */
function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === Number.NEGATIVE_INFINITY) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/** ln(eᵃ − eᵇ), a ≥ b. */
function logSub(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a <= b) return Number.NEGATIVE_INFINITY;
  return Math.log(-Math.expm1(b - a)) + a;
}

/** ln A_α for an integer order. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  let logBinomial = 0; // ln C(α, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinomial += Math.log((alpha - i + 1) / i);
    const term =
      logBinomial +
      i * Math.log(q) +
      (alpha - i) * Math.log1p(-q) +
      (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/** ln A_α for a fractional order: the two-sided series. */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let a0 = Number.NEGATIVE_INFINITY;
  let a1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const root2Sigma = Math.SQRT2 * sigma;
  let logBinomial = 0; // ln |C(α, i)|
  let sign = 1; // the sign of C(α, i)
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      logBinomial += Math.log(Math.abs(factor));
      if (factor < 0) sign = -sign;
    }
    const j = alpha - i;
    const t0 = logBinomial + i * Math.log(q) + j * Math.log1p(-q);
    const t1 = logBinomial + j * Math.log(q) + i * Math.log1p(-q);
    const e0 = Math.log(0.5) + logErfc((i - z0) / root2Sigma);
    const e1 = Math.log(0.5) + logErfc((z0 - j) / root2Sigma);
    const s0 = t0 + (i * i - i) / (2 * sigma * sigma) + e0;
    const s1 = t1 + (j * j - j) / (2 * sigma * sigma) + e1;
    if (sign > 0) {
      a0 = logAdd(a0, s0);
      a1 = logAdd(a1, s1);
    } else {
      a0 = logSub(a0, s0);
      a1 = logSub(a1, s1);
    }
    if (Math.max(s0, s1) < -30 || i > 100_000) break;
  }
  return logAdd(a0, a1);
}

/**
 * The RDP at order `alpha` of one step of the sampled Gaussian mechanism (see the module's
 * formulas).
 *
 * @param sampleRate - q in [0, 1].
 * @param noiseMultiplier - σ ≥ 0.
 * @param alpha - the order, > 1.
 * @returns RDP(α) ≥ 0; `Infinity` for σ = 0.
 * @throws {@link ArgumentError} for arguments outside their ranges.
 * @example
 * ```ts
 * rdpSampledGaussian(1, 2, 3); // 0.375 = α / 2σ² (no sampling)
 * ```
 */
export function rdpSampledGaussian(
  sampleRate: number,
  noiseMultiplier: number,
  alpha: number,
): number {
  const fn = 'rdpSampledGaussian';
  checkMechanism(fn, { sampleRate, noiseMultiplier, steps: 1 });
  if (!(typeof alpha === 'number' && Number.isFinite(alpha) && alpha > 1)) {
    throw new ArgumentError(
      `${fn}: \`alpha\` must be a finite order > 1. Received: ${describeValue(alpha)}.`,
    );
  }
  const q = sampleRate;
  const sigma = noiseMultiplier;
  if (q === 0) return 0;
  if (sigma === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha)
    ? logAInteger(q, sigma, alpha)
    : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

function checkMechanism(fn: string, m: unknown, where = ''): GaussianMechanism {
  const o = m as Partial<GaussianMechanism> | null;
  const field = (name: keyof GaussianMechanism) => argName(fn, `${where}${name}`);
  const { sampleRate, noiseMultiplier, steps } = o ?? {};
  if (!(typeof sampleRate === 'number' && sampleRate >= 0 && sampleRate <= 1)) {
    throw new ArgumentError(
      `${field('sampleRate')} must be a number in [0, 1]. Received: ${describeValue(sampleRate)}.`,
    );
  }
  if (
    !(
      typeof noiseMultiplier === 'number' &&
      Number.isFinite(noiseMultiplier) &&
      noiseMultiplier >= 0
    )
  ) {
    throw new ArgumentError(
      `${field('noiseMultiplier')} must be a finite number ≥ 0. Received: ${describeValue(noiseMultiplier)}.`,
    );
  }
  if (!(typeof steps === 'number' && Number.isInteger(steps) && steps >= 0)) {
    throw new ArgumentError(
      `${field('steps')} must be an integer ≥ 0. Received: ${describeValue(steps)}.`,
    );
  }
  return { sampleRate, noiseMultiplier, steps };
}

/**
 * ε of (ε, δ)-differential privacy for DP-SGD: the RDP of the sampled Gaussian mechanism over
 * its steps (several mechanisms' RDPs add), converted at the tightest order (see the module's
 * formulas). Equal to a transcription of the published formulas in numpy and scipy to 1e-6
 * relative (tests/fixtures/dp-rdp.json).
 *
 * @param options - one mechanism (`sampleRate`, `noiseMultiplier`, `steps`) or `mechanisms`,
 *   `delta`, and optionally `orders`.
 * @returns ε and the order that gave it.
 * @throws {@link ArgumentError} for a mechanism outside its ranges, δ outside (0, 1), orders
 *   that are not all > 1, or both a mechanism and `mechanisms`.
 * @example
 * ```ts
 * // 60 epochs of batch 256 from 60,000 examples, σ = 1.1
 * dpEpsilon({ sampleRate: 256 / 60000, noiseMultiplier: 1.1, steps: 60 * 234, delta: 1e-5 });
 * // { epsilon: ≈ 2.9, order: … }
 * ```
 */
export function dpEpsilon(options: DpEpsilonOptions): DpEpsilon {
  const fn = 'dpEpsilon';
  const o = resolveOptions(fn, options, {
    sampleRate: { constraint: { kind: 'any' } },
    noiseMultiplier: { constraint: { kind: 'any' } },
    steps: { constraint: { kind: 'any' } },
    delta: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
    },
    mechanisms: { constraint: { kind: 'any' } },
    orders: { constraint: { kind: 'any' }, default: DEFAULT_ORDERS },
  });
  if (o.delta === undefined)
    throw new ArgumentError(`${argName(fn, 'delta')} is required (a number in (0, 1)).`);
  const single =
    o.sampleRate !== undefined || o.noiseMultiplier !== undefined || o.steps !== undefined;
  let mechanisms: GaussianMechanism[];
  if (o.mechanisms !== undefined) {
    if (single) {
      throw new ArgumentError(
        `${fn}: give one mechanism (\`sampleRate\`, \`noiseMultiplier\`, \`steps\`) or \`mechanisms\`, not both.`,
      );
    }
    if (!Array.isArray(o.mechanisms) || o.mechanisms.length === 0) {
      throw new ArgumentError(
        `${argName(fn, 'mechanisms')} must be a non-empty array. Received: ${describeValue(o.mechanisms)}.`,
      );
    }
    mechanisms = o.mechanisms.map((m, i) => checkMechanism(fn, m, `mechanisms[${i}].`));
  } else {
    mechanisms = [checkMechanism(fn, o)];
  }
  const orders = o.orders;
  if (
    !Array.isArray(orders) ||
    orders.length === 0 ||
    !orders.every((a) => typeof a === 'number' && Number.isFinite(a) && a > 1)
  ) {
    throw new ArgumentError(
      `${argName(fn, 'orders')} must be a non-empty array of finite orders > 1. Received: ${describeValue(orders)}.`,
    );
  }
  let best = Number.POSITIVE_INFINITY;
  let order = Number.NaN;
  for (const alpha of orders) {
    let rdp = 0;
    for (const m of mechanisms) {
      if (m.steps === 0) continue;
      rdp += m.steps * rdpSampledGaussian(m.sampleRate, m.noiseMultiplier, alpha);
    }
    const eps =
      rdp - (Math.log(o.delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (eps < best) {
      best = eps;
      order = alpha;
    }
  }
  return { epsilon: best, order: Number.isFinite(best) ? order : Number.NaN };
}

/** Options of {@link noiseMultiplierFor}. */
export interface NoiseMultiplierOptions {
  /** q: batch size / dataset size, in (0, 1]. */
  sampleRate: number;
  /** The steps of the whole run (epochs × steps per epoch), ≥ 1. */
  steps: number;
  /** The ε the run may spend, > 0. */
  targetEpsilon: number;
  /** δ, in (0, 1). */
  delta: number;
  /** The RDP orders. Defaults to {@link DEFAULT_ORDERS}. */
  orders?: readonly number[];
}

/**
 * The smallest noise multiplier σ (to 1e-4) whose run of `steps` steps at `sampleRate` spends at
 * most `targetEpsilon` at `delta`, by bisection on {@link dpEpsilon} (ε falls as σ grows).
 *
 * @returns σ, with ε(σ) ≤ targetEpsilon.
 * @throws {@link ArgumentError} when no σ up to 1,000 reaches the target, or for bad options.
 * @example
 * ```ts
 * const sigma = noiseMultiplierFor({ sampleRate: 0.01, steps: 1000, targetEpsilon: 3, delta: 1e-5 });
 * ```
 */
export function noiseMultiplierFor(options: NoiseMultiplierOptions): number {
  const fn = 'noiseMultiplierFor';
  const o = resolveOptions(fn, options, {
    sampleRate: { constraint: { kind: 'number', min: 0, max: 1, minExclusive: true } },
    steps: { constraint: { kind: 'number', integer: true, min: 1 } },
    targetEpsilon: { constraint: { kind: 'number', min: 0, minExclusive: true } },
    delta: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
    },
    orders: { constraint: { kind: 'any' }, default: DEFAULT_ORDERS },
  });
  for (const key of ['sampleRate', 'steps', 'targetEpsilon', 'delta'] as const) {
    if (o[key] === undefined) throw new ArgumentError(`${argName(fn, key)} is required.`);
  }
  const eps = (sigma: number) =>
    dpEpsilon({
      sampleRate: o.sampleRate,
      noiseMultiplier: sigma,
      steps: o.steps,
      delta: o.delta,
      orders: o.orders,
    }).epsilon;
  let hi = 1000;
  if (eps(hi) > o.targetEpsilon) {
    throw new ArgumentError(
      `${fn}: no noise multiplier up to ${hi} keeps ε ≤ ${o.targetEpsilon} over ${o.steps} steps at sampling rate ${o.sampleRate} and δ = ${o.delta}; allow a larger ε or δ, fewer steps, or a smaller sampling rate.`,
    );
  }
  let lo = 0;
  while (hi - lo > 1e-4) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > o.targetEpsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}
