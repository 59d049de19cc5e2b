/**
 * Precision–recall: the curve over every threshold and average precision (the step-wise area
 * under it), binary and one-vs-rest. For rare findings (a tumour in one scan of a hundred) it
 * says more than ROC, whose false-positive rate hides many false alarms behind many negatives.
 * Same definitions as scikit-learn's `precision_recall_curve` and `average_precision_score`.
 *
 * @module
 */
import { resolveOptions } from '../core/validate.js';
import { binaryCurve } from './binary-curve.js';
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

/** Options of {@link precisionRecallCurve}. */
export interface PrecisionRecallCurveOptions {
  /** The label of the positive class. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
  /** One non-negative weight per sample. Defaults to equal weights. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
}

/** A precision–recall curve: thresholds ascending, recall descending. */
export interface PrecisionRecallCurve {
  /** Precision at each threshold, then 1 (the curve's end at recall 0). */
  precision: number[];
  /** Recall at each threshold, then 0. */
  recall: number[];
  /** The distinct scores, ascending (one fewer than precision and recall). */
  thresholds: number[];
}

/** Options of {@link averagePrecision}. */
export interface AveragePrecisionOptions extends PrecisionRecallCurveOptions {
  /**
   * Several classes: `'macro'` (mean of the one-vs-rest values), `'weighted'` (by prevalence) or
   * `'micro'` (every sample–class pair as one binary problem). Defaults to `'macro'`.
   */
  average?: 'macro' | 'weighted' | 'micro';
  /** Several classes: the class each score column stands for. Defaults to the sorted labels. */
  labels?: readonly number[];
}

const CURVE_SPECS = {
  positiveLabel: { constraint: { kind: 'number' } },
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
} as const;

const AP_SPECS = {
  ...CURVE_SPECS,
  average: {
    constraint: { kind: 'string', oneOf: ['macro', 'weighted', 'micro'] },
    default: 'macro',
  },
  labels: { constraint: { kind: 'any' } },
} as const;

function prOf(p: BinaryProblem): PrecisionRecallCurve {
  const { fps, tps, thresholds } = binaryCurve(p.isPositive, p.score, p.weight);
  const m = tps.length;
  const tpTotal = tps[m - 1]!;
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const called = tps[i]! + fps[i]!;
    precision.push(called !== 0 ? tps[i]! / called : 0);
    recall.push(tpTotal === 0 ? 1 : tps[i]! / tpTotal);
    thr.push(thresholds[i]!);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}

function apOf(p: BinaryProblem): number {
  const { precision, recall } = prOf(p);
  let ap = 0;
  for (let i = 0; i + 1 < recall.length; i++) ap -= (recall[i + 1]! - recall[i]!) * precision[i]!;
  return ap;
}

/**
 * The precision–recall curve of a binary classifier's scores.
 *
 * For each distinct score t: precision(t) = TP/(TP + FP) and recall(t) = TP/P among samples
 * scoring ≥ t. Equals scikit-learn 1.2's `precision_recall_curve` (when `yTrue` has no
 * positive, recall is 1 throughout, as there).
 *
 * @param yTrue - the true labels (two classes at most).
 * @param yScore - the positive class's score per sample.
 * @param options - see {@link PrecisionRecallCurveOptions}.
 * @returns the curve; a promise of it when any argument is a tensor.
 * @throws {@link ArgumentError} for NaN/infinite values, negative weights, more than two
 *   classes. {@link ShapeError} when the lengths differ or the input is empty.
 *
 * @example
 * ```ts
 * precisionRecallCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { precision: [0.5, 0.667, 0.5, 1, 1], recall: [1, 1, 0.5, 0.5, 0], thresholds: [0.1, 0.35, 0.4, 0.8] }
 * ```
 */
export function precisionRecallCurve(
  yTrue: NumericArray,
  yScore: HostScores,
  options?: PrecisionRecallCurveOptions & {
    sampleWeights?: NumericArray;
    sampleWeight?: NumericArray;
  },
): PrecisionRecallCurve;
export function precisionRecallCurve(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: PrecisionRecallCurveOptions,
): Promise<PrecisionRecallCurve>;
export function precisionRecallCurve(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: PrecisionRecallCurveOptions,
): PrecisionRecallCurve | Promise<PrecisionRecallCurve> {
  const fn = 'precisionRecallCurve';
  const o = resolveOptions(fn, options, CURVE_SPECS);
  return withLabelledValues(fn, yTrue, ['yScore', yScore], o.sampleWeights, (t, s, w) => {
    const n = t.data.length;
    const wv = weights(w, `${fn}: \`sampleWeights\``, n);
    return prOf(binaryProblem(fn, t, s, wv, o.positiveLabel, false));
  });
}

/**
 * Average precision: AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the thresholds (the step-wise area under the
 * precision–recall curve, no interpolation). Several classes: one-vs-rest, averaged by
 * `average`. Equals scikit-learn's `average_precision_score` (multiclass through
 * `label_binarize`).
 *
 * @param yTrue - the true labels.
 * @param yScore - 1-D positive-class scores, or `[n, k]` with one column per class.
 * @param options - see {@link AveragePrecisionOptions}.
 * @returns AP in [0, 1]; a promise of it when any argument is a tensor.
 * @throws {@link ArgumentError} for NaN/infinite values, negative weights, unknown labels.
 *   {@link ShapeError} when sizes disagree.
 *
 * @example
 * ```ts
 * averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333…
 * ```
 */
export function averagePrecision(
  yTrue: NumericArray,
  yScore: HostScores,
  options?: AveragePrecisionOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function averagePrecision(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: AveragePrecisionOptions,
): Promise<number>;
export function averagePrecision(
  yTrue: VectorInput,
  yScore: MetricScores,
  options?: AveragePrecisionOptions,
): number | Promise<number> {
  const fn = 'averagePrecision';
  const o = resolveOptions(fn, options, AP_SPECS);
  return withLabelledValues(fn, yTrue, ['yScore', yScore], o.sampleWeights, (tv, sv, w) => {
    const wv = weights(w, `${fn}: \`sampleWeights\``, tv.data.length);
    if (sv.shape.length === 2 && (sv.shape[1]! > 2 || o.labels !== undefined)) {
      const mp = multiclassProblem(fn, tv, sv, wv, o.labels);
      const k = mp.classes.length;
      const n = mp.labels.length;
      if (o.average === 'micro') {
        // Every (sample, class) pair is one binary decision.
        const isPositive = new Uint8Array(n * k);
        const wMicro = wv ? new Float64Array(n * k) : undefined;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < k; j++) {
            isPositive[i * k + j] = mp.labels[i] === mp.classes[j] ? 1 : 0;
            if (wMicro && wv) wMicro[i * k + j] = wv[i]!;
          }
        }
        return apOf({ isPositive, score: mp.scores, weight: wMicro });
      }
      const values: number[] = [];
      const support: number[] = [];
      for (let j = 0; j < k; j++) {
        const p = oneVsRest(mp, j);
        values.push(apOf(p));
        support.push(positiveMass(p));
      }
      return averageOver(values, support, o.average);
    }
    return apOf(binaryProblem(fn, tv, sv, wv, o.positiveLabel, false));
  });
}
