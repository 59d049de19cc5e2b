/**
 * Receiver operating characteristic: the curve (false-positive rate against true-positive rate
 * over every threshold) and the area under it, binary and one-vs-rest for several classes.
 * Same definitions as scikit-learn's `roc_curve` and `roc_auc_score` (ties count ½; the curve
 * starts at (0, 0) with a threshold above every score).
 *
 * @module
 */
import { ArgumentError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { type BinaryCurve, binaryCurve, trapezoid } from './binary-curve.js';
import {
  averageOver,
  type BinaryProblem,
  binaryProblem,
  multiclassProblem,
  oneVsRest,
  positiveMass,
} from './class-problem.js';
import {
  type HostScores,
  type MetricScores,
  type NumericArray,
  type VectorInput,
  weights,
  withLabelledValues,
} from './inputs.js';

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /** The label of the positive class. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
  /** One non-negative weight per sample. Defaults to equal weights. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
  /**
   * Drop thresholds whose point lies on a straight segment between its neighbours (they do not
   * change the plotted curve or its area). Defaults to `true`.
   */
  dropIntermediate?: boolean;
}

/** A ROC curve: parallel arrays, thresholds descending. */
export interface RocCurve {
  /** False-positive rate (1 − specificity) at each threshold. */
  fpr: number[];
  /** True-positive rate (sensitivity) at each threshold. */
  tpr: number[];
  /**
   * A sample is called positive when its score is ≥ the threshold. The first threshold is the
   * highest score + 1 (nothing called positive), as in scikit-learn 1.2.
   */
  thresholds: number[];
}

/** Options of {@link rocAuc}. */
export interface RocAucOptions {
  /** Binary: the label of the positive class. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
  /** One non-negative weight per sample. Defaults to equal weights. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
  /**
   * Several classes (one score column each): how the one-vs-rest areas are averaged, `'macro'`
   * (plain mean) or `'weighted'` (by each class's prevalence). Defaults to `'macro'`.
   */
  average?: 'macro' | 'weighted';
  /** Several classes: the class each score column stands for. Defaults to the sorted labels. */
  labels?: readonly number[];
  /**
   * Binary: the standardised partial AUC over false-positive rates in [0, maxFpr] (McClish
   * correction: 0.5 for a useless score, 1 for a perfect one). Defaults to the full area.
   */
  maxFpr?: number;
}

const CURVE_SPECS = {
  positiveLabel: { constraint: { kind: 'number' } },
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
  dropIntermediate: { constraint: { kind: 'boolean' }, default: true },
} as const;

const AUC_SPECS = {
  positiveLabel: { constraint: { kind: 'number' } },
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
  average: { constraint: { kind: 'string', oneOf: ['macro', 'weighted'] }, default: 'macro' },
  labels: { constraint: { kind: 'any' } },
  maxFpr: { constraint: { kind: 'number', min: 0, max: 1, minExclusive: true } },
} as const;

/** The full ROC of a binary problem, with scikit-learn's point dropping. @internal */
export function rocOf(p: BinaryProblem, dropIntermediate: boolean, fn: string): RocCurve {
  let { fps, tps, thresholds }: BinaryCurve = binaryCurve(p.isPositive, p.score, p.weight);
  if (dropIntermediate && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1]! - 2 * fps[i]! + fps[i - 1]!;
      const d2t = tps[i + 1]! - 2 * tps[i]! + tps[i - 1]!;
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => fps[i]!);
    tps = Float64Array.from(keep, (i) => tps[i]!);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]!);
  }
  const fpTotal = fps[fps.length - 1]!;
  const tpTotal = tps[tps.length - 1]!;
  if (fpTotal <= 0 || tpTotal <= 0) {
    throw new ArgumentError(
      `${fn}: \`yTrue\` has no ${fpTotal <= 0 ? 'negative' : 'positive'} samples (with positive weight); the ROC curve is undefined.`,
    );
  }
  return {
    fpr: [0, ...Array.from(fps, (v) => v / fpTotal)],
    tpr: [0, ...Array.from(tps, (v) => v / tpTotal)],
    thresholds: [thresholds[0]! + 1, ...thresholds],
  };
}

function binaryAuc(p: BinaryProblem, maxFpr: number | undefined, fn: string): number {
  const { fpr, tpr } = rocOf(p, true, fn);
  if (maxFpr === undefined || maxFpr === 1) return trapezoid(fpr, tpr);
  // Cut the curve at maxFpr (linear interpolation), then McClish's standardisation.
  let stop = 0;
  while (stop < fpr.length && fpr[stop]! <= maxFpr) stop++;
  const x0 = fpr[stop - 1]!;
  const x1 = fpr[stop]!;
  const y0 = tpr[stop - 1]!;
  const y1 = tpr[stop]!;
  const yCut = x1 === x0 ? y1 : y0 + ((maxFpr - x0) * (y1 - y0)) / (x1 - x0);
  const partial = trapezoid([...fpr.slice(0, stop), maxFpr], [...tpr.slice(0, stop), yCut]);
  const minArea = 0.5 * maxFpr * maxFpr;
  return 0.5 * (1 + (partial - minArea) / (maxFpr - minArea));
}

/**
 * The ROC curve of a binary classifier's scores.
 *
 * For each distinct score t (descending), TPR(t) = Σ w·[y = pos, s ≥ t] / Σ w·[y = pos] and
 * FPR(t) = Σ w·[y ≠ pos, s ≥ t] / Σ w·[y ≠ pos]. Equals scikit-learn 1.2's `roc_curve`.
 *
 * @param yTrue - the true labels, one per sample (two classes).
 * @param yScore - the positive class's score per sample (any monotone score: probability, logit).
 * @param options - see {@link RocCurveOptions}.
 * @returns the curve; a promise of it when any argument is a tensor.
 * @throws {@link ArgumentError} for a single class, NaN or infinite values, negative weights,
 *   more than two classes. {@link ShapeError} when lengths differ or the input is empty.
 *
 * @example
 * ```ts
 * rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1], thresholds: [1.8, 0.8, 0.4, 0.35, 0.1] }
 * ```
 */
export function rocCurve(
  yTrue: NumericArray,
  yScore: HostScores,
  options?: RocCurveOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): RocCurve;
export function rocCurve(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: RocCurveOptions,
): Promise<RocCurve>;
export function rocCurve(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: RocCurveOptions,
): RocCurve | Promise<RocCurve> {
  const fn = 'rocCurve';
  const o = resolveOptions(fn, options, CURVE_SPECS);
  return withLabelledValues(fn, yTrue, ['yScore', yScore], o.sampleWeights, (t, s, w) => {
    const n = t.data.length;
    const p = binaryProblem(
      fn,
      t,
      s,
      weights(w, `${fn}: \`sampleWeights\``, n),
      o.positiveLabel,
      true,
    );
    return rocOf(p, o.dropIntermediate, fn);
  });
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count ½).
 *
 * Binary: `yScore` is the positive class's score (1-D), or `[n, 2]` class scores. Several
 * classes: `yScore` is `[n, k]`, one column per class, and the result averages the one-vs-rest
 * areas (`average`). Equals scikit-learn's `roc_auc_score` (`multi_class='ovr'`).
 *
 * @param yTrue - the true labels, one per sample.
 * @param yScore - scores: 1-D for binary, `[n, k]` for k classes.
 * @param options - see {@link RocAucOptions}.
 * @returns the area in [0, 1]; a promise of it when any argument is a tensor.
 * @throws {@link ArgumentError} when a class has no positive or no negative sample, for NaN or
 *   infinite values, negative weights or an unknown label. {@link ShapeError} when the sizes
 *   disagree.
 *
 * @example
 * ```ts
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * await rocAuc(tf.tensor1d([0, 1, 1]), tf.tensor1d([0.2, 0.9, 0.7])); // 1
 * ```
 */
export function rocAuc(
  yTrue: NumericArray,
  yScore: HostScores,
  options?: RocAucOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function rocAuc(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: RocAucOptions,
): Promise<number>;
export function rocAuc(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: RocAucOptions,
): number | Promise<number> {
  const fn = 'rocAuc';
  const o = resolveOptions(fn, options, AUC_SPECS);
  return withLabelledValues(fn, yTrue, ['yScore', yScore], o.sampleWeights, (tv, sv, w) => {
    const wv = weights(w, `${fn}: \`sampleWeights\``, tv.data.length);
    if (sv.shape.length === 2 && (sv.shape[1]! > 2 || o.labels !== undefined)) {
      const mp = multiclassProblem(fn, tv, sv, wv, o.labels);
      const areas: number[] = [];
      const support: number[] = [];
      mp.classes.forEach((c, j) => {
        const p = oneVsRest(mp, j);
        areas.push(binaryAuc(p, undefined, `${fn} (class ${c} against the rest)`));
        support.push(positiveMass(p));
      });
      return averageOver(areas, support, o.average);
    }
    const p = binaryProblem(fn, tv, sv, wv, o.positiveLabel, true);
    return binaryAuc(p, o.maxFpr, fn);
  });
}
