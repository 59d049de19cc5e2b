/**
 * Bootstrap confidence intervals for any metric (AUC above all): resample the patients with
 * replacement, recompute the metric, and read the interval off the percentiles of the
 * recomputed values. Seeded, so a reported interval can be reproduced.
 *
 * @module
 */
import { ArgumentError } from '../core/errors.js';
import { Random, type Seed } from '../core/random.js';
import { resolveOptions } from '../core/validate.js';
import {
  type HostScores,
  type MetricScores,
  type NumericArray,
  type VectorInput,
  vector,
  withLabelledValues,
} from './inputs.js';

/** A metric of labels and scores (or predictions) computed on plain arrays, e.g. {@link rocAuc}. */
export type BootstrapMetric = (yTrue: number[], yScore: number[] | number[][]) => number;

/** Options of {@link bootstrapCi}. */
export interface BootstrapOptions {
  /** The number of resamples. Defaults to 1000. */
  nResamples?: number;
  /** The coverage of the interval, in (0, 1). Defaults to 0.95. */
  confidence?: number;
  /**
   * Resample within each class, keeping the class counts (so every resample has positives and
   * negatives, as AUC needs). Defaults to `true`.
   */
  stratified?: boolean;
  /** The seed of the resampling. Defaults to 0. */
  seed?: Seed;
}

/** A percentile bootstrap interval. */
export interface ConfidenceInterval {
  /** The metric on the data as given. */
  estimate: number;
  /** The lower end: the (1 − confidence)/2 percentile of the resampled values. */
  lower: number;
  /** The upper end: the (1 + confidence)/2 percentile of the resampled values. */
  upper: number;
  /** The coverage asked for. */
  confidence: number;
  /** The standard deviation of the resampled values (the bootstrap standard error). */
  standardError: number;
  /** The number of resamples used. */
  nResamples: number;
}

const SPECS = {
  nResamples: { constraint: { kind: 'number', integer: true, min: 10 }, default: 1000 },
  confidence: {
    constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
    default: 0.95,
  },
  stratified: { constraint: { kind: 'boolean' }, default: true },
  seed: { constraint: { kind: 'seed' }, default: 0 },
} as const;

/** numpy's default (linear) percentile of sorted values. */
function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * A percentile bootstrap confidence interval of `metric(yTrue, yScore)`.
 *
 * Each resample draws n samples with replacement (within each class when `stratified`) and
 * recomputes the metric; the interval is the [(1 − c)/2, (1 + c)/2] percentiles of the
 * `nResamples` values.
 *
 * @param metric - a metric on plain arrays, e.g. `rocAuc` or `(t, s) => sensitivity(t, s)`.
 * @param yTrue - true labels, one per sample.
 * @param yScore - scores or predictions, one per sample (or one row per sample).
 * @param options - see {@link BootstrapOptions}.
 * @returns the interval; a promise of it for tensor input.
 * @throws {@link ArgumentError} for a bad option, or whatever `metric` throws on the data.
 *
 * @example
 * ```ts
 * const ci = bootstrapCi(rocAuc, yTrue, yScore, { seed: 1 });
 * const { estimate, lower, upper } = ci; // the AUC and its 95% interval
 * ```
 */
export function bootstrapCi(
  metric: BootstrapMetric,
  yTrue: NumericArray,
  yScore: HostScores,
  options?: BootstrapOptions,
): ConfidenceInterval;
export function bootstrapCi(
  metric: BootstrapMetric,
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: BootstrapOptions,
): Promise<ConfidenceInterval>;
export function bootstrapCi(
  metric: BootstrapMetric,
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: BootstrapOptions,
): ConfidenceInterval | Promise<ConfidenceInterval> {
  const fn = 'bootstrapCi';
  if (typeof metric !== 'function') {
    throw new ArgumentError(`${fn}: \`metric\` must be a function of (yTrue, yScore).`);
  }
  const o = resolveOptions(fn, options, SPECS);
  return withLabelledValues(fn, yTrue, ['yScore', yScore], undefined, (t, sv) => {
    const labels = Array.from(vector(t, `${fn}: \`yTrue\``));
    const n = labels.length;
    if (sv.shape[0] !== n) {
      throw new ArgumentError(
        `${fn}: \`yScore\` must have one value or row per sample (${n}). Received: ${sv.shape[0]}.`,
      );
    }
    const k = sv.shape.length === 2 ? sv.shape[1]! : 0;
    const row = (i: number): number | number[] =>
      k === 0 ? sv.data[i]! : Array.from(sv.data.subarray(i * k, (i + 1) * k));
    const take = (idx: number[]) => {
      const yt = idx.map((i) => labels[i]!);
      const ys = idx.map(row);
      return metric(yt, ys as number[] | number[][]);
    };
    const all = Array.from({ length: n }, (_, i) => i);
    const estimate = take(all);
    const groups: number[][] = [];
    if (o.stratified) {
      const byClass = new Map<number, number[]>();
      for (const i of all) {
        const g = byClass.get(labels[i]!);
        if (g) g.push(i);
        else byClass.set(labels[i]!, [i]);
      }
      groups.push(...[...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g));
    } else {
      groups.push(all);
    }
    const rng = new Random(o.seed);
    const values: number[] = [];
    const nResamples = o.nResamples;
    for (let r = 0; r < nResamples; r++) {
      const idx: number[] = [];
      for (const g of groups) for (let j = 0; j < g.length; j++) idx.push(g[rng.int(g.length)]!);
      values.push(take(idx));
    }
    values.sort((a, b) => a - b);
    const c = o.confidence;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
    return {
      estimate,
      lower: quantile(values, (1 - c) / 2),
      upper: quantile(values, (1 + c) / 2),
      confidence: c,
      standardError: Math.sqrt(variance),
      nResamples,
    };
  });
}
