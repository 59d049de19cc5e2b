/**
 * Calibration: whether a predicted probability of 0.8 comes true 80% of the time. The
 * reliability curve (scikit-learn's `calibration_curve`), the expected calibration error (ECE,
 * Guo et al. 2017: binary on the positive class, top-label for several classes) and the Brier
 * score.
 *
 * @module
 */
import { ArgumentError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { binaryProblem } from './class-problem.js';
import {
  type HostScores,
  type MetricScores,
  type NumericArray,
  type VectorInput,
  vector,
  weights,
  withLabelledValues,
} from './inputs.js';

/** Options of {@link calibrationCurve}. */
export interface CalibrationCurveOptions {
  /** The number of bins over [0, 1]. Defaults to 5 (scikit-learn's default). */
  nBins?: number;
  /**
   * `'uniform'`: bins of equal width; `'quantile'`: bins holding equally many samples (edges at
   * the quantiles of the predictions). Defaults to `'uniform'`.
   */
  strategy?: 'uniform' | 'quantile';
  /** The label of the positive class. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
}

/** A reliability curve over the non-empty bins. */
export interface CalibrationCurve {
  /** Per non-empty bin: the observed fraction of positives. */
  probTrue: number[];
  /** Per non-empty bin: the mean predicted probability. */
  probPred: number[];
  /** Per non-empty bin: the number of samples. */
  counts: number[];
}

/** Options of {@link expectedCalibrationError}. */
export interface CalibrationErrorOptions {
  /** The number of bins over [0, 1]. Defaults to 10. */
  nBins?: number;
  /** `'uniform'` or `'quantile'` bins, as {@link calibrationCurve}. Defaults to `'uniform'`. */
  strategy?: 'uniform' | 'quantile';
  /** Binary: the label of the positive class. Defaults to 1 for 0/1 or −1/1 labels. */
  positiveLabel?: number;
}

/** Options of {@link brierScore}. */
export interface BrierScoreOptions {
  /** The label of the positive class. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
  /** One non-negative weight per sample. Defaults to 1 each. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
}

/** The binning options, with `nBins` defaulting to `nBins` (5 for curves, 10 for ECE). */
const binSpecs = <N extends number>(nBins: N) =>
  ({
    nBins: { constraint: { kind: 'number', integer: true, min: 1 }, default: nBins },
    strategy: {
      constraint: { kind: 'string', oneOf: ['uniform', 'quantile'] },
      default: 'uniform',
    },
    positiveLabel: { constraint: { kind: 'number' } },
  }) as const;
const CURVE_BIN_SPECS = binSpecs(5);
const ERROR_BIN_SPECS = binSpecs(10);

/**
 * numpy's `percentile(a, q·100)` with linear interpolation, computed the way numpy computes it
 * (so that bin edges, and therefore which bin a tied value falls into, agree to the last bit).
 */
function percentiles(sorted: Float64Array, qs: number[]): number[] {
  const n = sorted.length;
  return qs.map((q) => {
    const virtual = n * q + (1 - q) - 1;
    const lo = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
    const hi = Math.min(lo + 1, n - 1);
    const t = virtual - Math.floor(virtual);
    const a = sorted[lo]!;
    const b = sorted[hi]!;
    const diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  });
}

/** Bin edges as numpy's `linspace(0, 1, nBins + 1)` or the quantiles of the predictions. */
function binEdges(p: Float64Array, nBins: number, strategy: 'uniform' | 'quantile'): number[] {
  const step = 1 / nBins;
  const grid = Array.from({ length: nBins + 1 }, (_, i) => (i === nBins ? 1 : i * step));
  if (strategy === 'uniform') return grid;
  const sorted = Float64Array.from(p).sort();
  return percentiles(
    sorted,
    grid.map((g) => (g * 100) / 100),
  );
}

/** Per bin (scikit-learn's assignment: v goes to the number of inner edges < v). */
function binStats(
  prob: Float64Array,
  hit: Float64Array,
  weight: Float64Array | undefined,
  edges: number[],
): { sumProb: number[]; sumHit: number[]; total: number[] } {
  const inner = edges.slice(1, -1);
  const k = edges.length - 1;
  const sumProb = new Array<number>(k + 1).fill(0);
  const sumHit = new Array<number>(k + 1).fill(0);
  const total = new Array<number>(k + 1).fill(0);
  for (let i = 0; i < prob.length; i++) {
    const v = prob[i]!;
    let lo = 0;
    let hi = inner.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (inner[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    const w = weight ? weight[i]! : 1;
    sumProb[lo]! += w * v;
    sumHit[lo]! += w * hit[i]!;
    total[lo]! += w;
  }
  return { sumProb, sumHit, total };
}

function checkProbabilities(p: Float64Array, name: string): void {
  for (let i = 0; i < p.length; i++) {
    if (p[i]! < 0 || p[i]! > 1) {
      throw new ArgumentError(
        `${name} must hold probabilities in [0, 1]. Received: ${p[i]} at index ${i}.`,
      );
    }
  }
}

/**
 * The reliability curve of binary probabilities: for each bin of predicted probability, the
 * observed fraction of positives against the mean prediction. A calibrated model lies on the
 * diagonal. Equals scikit-learn's `calibration_curve` (empty bins are left out).
 *
 * @param yTrue - true labels (two classes at most).
 * @param yProb - predicted probability of the positive class, in [0, 1].
 * @param options - see {@link CalibrationCurveOptions}.
 * @returns the curve; a promise of it for tensor input.
 * @throws {@link ArgumentError} for probabilities outside [0, 1], NaN, more than two classes.
 *
 * @example
 * ```ts
 * calibrationCurve([0, 0, 0, 0, 1, 1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1], { nBins: 3 });
 * // { probTrue: [0, 0.5, 1], probPred: [0.2, 0.525, 0.85], counts: [3, 2, 4] }
 * ```
 */
export function calibrationCurve(
  yTrue: NumericArray,
  yProb: NumericArray,
  options?: CalibrationCurveOptions,
): CalibrationCurve;
export function calibrationCurve(
  yTrue: VectorInput,
  yProb: VectorInput,
  options?: CalibrationCurveOptions,
): Promise<CalibrationCurve>;
export function calibrationCurve(
  yTrue: VectorInput,
  yProb: VectorInput,
  options?: CalibrationCurveOptions,
): CalibrationCurve | Promise<CalibrationCurve> {
  const fn = 'calibrationCurve';
  const o = resolveOptions(fn, options, CURVE_BIN_SPECS);
  return withLabelledValues(fn, yTrue, ['yProb', yProb], undefined, (t, s) => {
    const p = binaryProblem(fn, t, s, undefined, o.positiveLabel, false);
    checkProbabilities(p.score, `${fn}: \`yProb\``);
    const edges = binEdges(p.score, o.nBins, o.strategy);
    const hit = Float64Array.from(p.isPositive);
    const { sumProb, sumHit, total } = binStats(p.score, hit, undefined, edges);
    const out: CalibrationCurve = { probTrue: [], probPred: [], counts: [] };
    total.forEach((c, b) => {
      if (c === 0) return;
      out.probTrue.push(sumHit[b]! / c);
      out.probPred.push(sumProb[b]! / c);
      out.counts.push(c);
    });
    return out;
  });
}

/**
 * Expected calibration error: ECE = Σ_b (n_b / N)·|observed_b − predicted_b| over the bins of
 * predicted probability. Binary (1-D `yProb`, the positive class's probability): observed is
 * the fraction of positives, predicted the mean probability, as in the reliability curve.
 * Several classes (`[n, k]` probabilities, columns in sorted label order): top-label ECE, with
 * confidence = the highest probability and observed = whether that class was right.
 *
 * @param yTrue - true labels.
 * @param yProb - probabilities: 1-D for binary, `[n, k]` for k classes.
 * @param options - see {@link CalibrationErrorOptions}.
 * @returns ECE in [0, 1] (0 = perfectly calibrated); a promise of it for tensor input.
 * @throws {@link ArgumentError} for probabilities outside [0, 1] or NaN; {@link ShapeError} for
 *   sizes that disagree.
 *
 * @example
 * ```ts
 * expectedCalibrationError([0, 1, 1, 1], [0.1, 0.9, 0.9, 0.9]); // 0.1 (every prediction 0.1 off)
 * ```
 */
export function expectedCalibrationError(
  yTrue: NumericArray,
  yProb: HostScores,
  options?: CalibrationErrorOptions,
): number;
export function expectedCalibrationError(
  yTrue: VectorInput,
  yProb: MetricScores,
  options?: CalibrationErrorOptions,
): Promise<number>;
export function expectedCalibrationError(
  yTrue: VectorInput,
  yProb: MetricScores,
  options?: CalibrationErrorOptions,
): number | Promise<number> {
  const fn = 'expectedCalibrationError';
  const o = resolveOptions(fn, options, ERROR_BIN_SPECS);
  return withLabelledValues(fn, yTrue, ['yProb', yProb], undefined, (t, sv) => {
    let conf: Float64Array;
    let hit: Float64Array;
    if (sv.shape.length === 2 && sv.shape[1]! > 1) {
      const labels = vector(t, `${fn}: \`yTrue\``);
      const [n, k] = sv.shape as [number, number];
      if (n !== labels.length) {
        throw new ArgumentError(
          `${fn}: \`yProb\` must have one row per sample (${labels.length}). Received: ${n} rows.`,
        );
      }
      checkProbabilities(sv.data, `${fn}: \`yProb\``);
      conf = new Float64Array(n);
      hit = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (sv.data[i * k + j]! > sv.data[i * k + best]!) best = j;
        conf[i] = sv.data[i * k + best]!;
        const label = labels[i]!;
        if (!Number.isInteger(label) || label < 0 || label >= k) {
          throw new ArgumentError(
            `${fn}: \`yTrue\` must hold class indices in [0, ${k - 1}] for ${k} probability columns. Received: ${label} at index ${i}.`,
          );
        }
        hit[i] = best === label ? 1 : 0;
      }
    } else {
      const p = binaryProblem(fn, t, sv, undefined, o.positiveLabel, false);
      checkProbabilities(p.score, `${fn}: \`yProb\``);
      conf = p.score;
      hit = Float64Array.from(p.isPositive);
    }
    const edges = binEdges(conf, o.nBins, o.strategy);
    const { sumProb, sumHit, total } = binStats(conf, hit, undefined, edges);
    const n = conf.length;
    let ece = 0;
    total.forEach((c, b) => {
      if (c > 0) ece += (c / n) * Math.abs(sumHit[b]! / c - sumProb[b]! / c);
    });
    return ece;
  });
}

/**
 * Brier score: the (weighted) mean squared difference between the predicted probability of the
 * positive class and the outcome (1 positive, 0 negative). 0 is perfect; always predicting 0.5
 * scores 0.25. Equals scikit-learn's `brier_score_loss`.
 *
 * @param yTrue - true labels (two classes at most).
 * @param yProb - predicted probability of the positive class, in [0, 1].
 * @param options - see {@link BrierScoreOptions}.
 * @returns the score; a promise of it for tensor input.
 * @throws {@link ArgumentError} for probabilities outside [0, 1] or NaN.
 *
 * @example
 * ```ts
 * brierScore([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]); // 0.0375
 * ```
 */
export function brierScore(
  yTrue: NumericArray,
  yProb: NumericArray,
  options?: BrierScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function brierScore(
  yTrue: VectorInput,
  yProb: VectorInput,
  options?: BrierScoreOptions,
): Promise<number>;
export function brierScore(
  yTrue: VectorInput,
  yProb: VectorInput,
  options?: BrierScoreOptions,
): number | Promise<number> {
  const fn = 'brierScore';
  const o = resolveOptions(fn, options, {
    positiveLabel: { constraint: { kind: 'number' } },
    sampleWeights: { constraint: { kind: 'any' } },
    sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
  });
  return withLabelledValues(fn, yTrue, ['yProb', yProb], o.sampleWeights, (t, s, w) => {
    const n = t.data.length;
    const wv = weights(w, `${fn}: \`sampleWeights\``, n);
    const p = binaryProblem(fn, t, s, wv, o.positiveLabel, false);
    checkProbabilities(p.score, `${fn}: \`yProb\``);
    let sum = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const wi = wv ? wv[i]! : 1;
      const d = p.score[i]! - p.isPositive[i]!;
      sum += wi * d * d;
      total += wi;
    }
    return sum / total;
  });
}
