/**
 * Threshold metrics read off the confusion matrix, the way clinicians report a test:
 * sensitivity (recall, true-positive rate), specificity (true-negative rate), precision
 * (positive predictive value), negative predictive value, F1, accuracy and balanced accuracy,
 * and a per-class report. Binary by default (positive label 1); several classes one-vs-rest with
 * macro, micro or weighted averages. Matches scikit-learn (`zero_division=0`): specificity and
 * NPV are scikit-learn's recall and precision of the negative class.
 *
 * @module
 */
import { ArgumentError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { countMatrix, type LabelPairs, labelPairs } from './confusion-matrix.js';
import { type NumericArray, type VectorInput, withLabelledValues } from './inputs.js';

/** How per-class values become one number. */
export type ScoreAverage = 'binary' | 'macro' | 'micro' | 'weighted';

/** Options of the threshold metrics ({@link sensitivity}, {@link specificity}, …). */
export interface ScoreOptions {
  /**
   * `'binary'`: the value for `positiveLabel` (two classes at most). For several classes,
   * one-vs-rest per class, then `'macro'` (plain mean), `'weighted'` (by each class's support,
   * its number of true samples) or `'micro'` (pooled counts). Defaults to `'binary'`.
   */
  average?: ScoreAverage;
  /** With `'binary'`: the positive label. Defaults to 1 when the labels are 0/1 or −1/1. */
  positiveLabel?: number;
  /** The classes to score. Defaults to the sorted union of the labels in `yTrue` and `yPred`. */
  labels?: readonly number[];
  /** One non-negative weight per sample. Defaults to 1 each. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
}

/** Options of {@link accuracy} and {@link balancedAccuracy}. */
export interface AccuracyOptions {
  /** One non-negative weight per sample. Defaults to 1 each. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
}

/** Per-class values of every threshold metric, and their averages. */
export interface ClassificationReport {
  /** The classes, in the order of the per-class arrays. */
  labels: number[];
  /** Per class: TP/(TP + FN). */
  sensitivity: number[];
  /** Per class: TN/(TN + FP). */
  specificity: number[];
  /** Per class: TP/(TP + FP). */
  precision: number[];
  /** Per class: TN/(TN + FN). */
  npv: number[];
  /** Per class: 2TP/(2TP + FP + FN). */
  f1: number[];
  /** Per class: the (weighted) number of true samples. */
  support: number[];
  /** Correct ÷ all. */
  accuracy: number;
  /** Mean sensitivity over the classes present in `yTrue`. */
  balancedAccuracy: number;
  /** Plain means over the classes. */
  macro: AveragedScores;
  /** Means weighted by support. */
  weighted: AveragedScores;
}

/** One average of each threshold metric over the classes. */
export interface AveragedScores {
  /** Mean sensitivity (recall). */
  sensitivity: number;
  /** Mean specificity. */
  specificity: number;
  /** Mean precision (PPV). */
  precision: number;
  /** Mean negative predictive value. */
  npv: number;
  /** Mean F1. */
  f1: number;
}

const SCORE_SPECS = {
  average: {
    constraint: { kind: 'string', oneOf: ['binary', 'macro', 'micro', 'weighted'] },
    default: 'binary',
  },
  positiveLabel: { constraint: { kind: 'number' } },
  labels: { constraint: { kind: 'any' } },
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
} as const;

const ACCURACY_SPECS = {
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
} as const;

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

type Kind = 'sensitivity' | 'specificity' | 'precision' | 'npv' | 'f1';

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function scoreOf(kind: Kind, c: Counts): number {
  switch (kind) {
    case 'sensitivity':
      return ratio(c.tp, c.tp + c.fn);
    case 'specificity':
      return ratio(c.tn, c.tn + c.fp);
    case 'precision':
      return ratio(c.tp, c.tp + c.fp);
    case 'npv':
      return ratio(c.tn, c.tn + c.fn);
    case 'f1':
      return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
  }
}

/** One-vs-rest counts of each class from the confusion matrix. */
function perClass(m: number[][]): Counts[] {
  const k = m.length;
  let total = 0;
  for (const row of m) for (const v of row) total += v;
  return m.map((row, i) => {
    const tp = row[i]!;
    const fn = row.reduce((a, b) => a + b, 0) - tp;
    let fp = 0;
    for (let r = 0; r < k; r++) if (r !== i) fp += m[r]![i]!;
    return { tp, fp, fn, tn: total - tp - fn - fp };
  });
}

function average(kind: Kind, counts: Counts[], how: 'macro' | 'micro' | 'weighted'): number {
  if (how === 'micro') {
    const sum = counts.reduce(
      (a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn, tn: a.tn + c.tn }),
      { tp: 0, fp: 0, fn: 0, tn: 0 },
    );
    return scoreOf(kind, sum);
  }
  const values = counts.map((c) => scoreOf(kind, c));
  if (how === 'macro') return values.reduce((a, b) => a + b, 0) / values.length;
  const support = counts.map((c) => c.tp + c.fn);
  const total = support.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  return values.reduce((a, v, i) => a + v * support[i]!, 0) / total;
}

function binaryCounts(fn: string, pairs: LabelPairs, positiveLabel: number | undefined): Counts {
  const present = pairs.labels;
  if (present.length > 2) {
    throw new ArgumentError(
      `${fn}: average 'binary' needs two classes at most, but the labels are ${present.join(', ')}; choose average 'macro', 'weighted' or 'micro'.`,
    );
  }
  let pos = positiveLabel;
  if (pos === undefined) {
    const sub = (set: number[]) => present.every((c) => set.includes(c));
    if (sub([0, 1]) || sub([-1, 1])) pos = 1;
    else {
      throw new ArgumentError(
        `${fn}: the labels are ${present.join(', ')}, so \`positiveLabel\` must say which is positive.`,
      );
    }
  }
  const c: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < pairs.yTrue.length; i++) {
    const w = pairs.weight ? pairs.weight[i]! : 1;
    const t = pairs.yTrue[i] === pos;
    const p = pairs.yPred[i] === pos;
    if (t && p) c.tp += w;
    else if (t) c.fn += w;
    else if (p) c.fp += w;
    else c.tn += w;
  }
  return c;
}

function thresholdMetric(
  kind: Kind,
  fn: string,
  yTrue: VectorInput,
  yPred: VectorInput,
  options: ScoreOptions | undefined,
): number | Promise<number> {
  const o = resolveOptions(fn, options, SCORE_SPECS);
  return withLabelledValues(fn, yTrue, ['yPred', yPred], o.sampleWeights, (t, p, w) => {
    const pairs = labelPairs(fn, t, p, w, o.labels);
    if (o.average === 'binary') return scoreOf(kind, binaryCounts(fn, pairs, o.positiveLabel));
    return average(kind, perClass(countMatrix(pairs)), o.average);
  });
}

/**
 * Sensitivity (recall, true-positive rate): TP / (TP + FN), the share of diseased patients the
 * test finds.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ScoreOptions}.
 * @returns a number in [0, 1] (0 when there is no positive); a promise for tensor input.
 * @throws {@link ArgumentError} for more than two classes with `'binary'`, NaN labels, negative
 *   weights; {@link ShapeError} for lengths that differ or empty input.
 *
 * @example
 * ```ts
 * sensitivity([1, 1, 1, 0], [1, 0, 1, 0]); // 0.6666…
 * ```
 */
export function sensitivity(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function sensitivity(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): Promise<number>;
export function sensitivity(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | Promise<number> {
  return thresholdMetric('sensitivity', 'sensitivity', yTrue, yPred, options);
}

/**
 * Recall: the same number as {@link sensitivity}, by the name machine learning uses.
 *
 * @example
 * ```ts
 * recall([1, 1, 1, 0], [1, 0, 1, 0]); // 0.6666…
 * ```
 */
export const recall: typeof sensitivity = sensitivity;

/**
 * Specificity (true-negative rate): TN / (TN + FP), the share of healthy patients the test
 * clears.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ScoreOptions}.
 * @returns a number in [0, 1]; a promise for tensor input.
 * @throws as {@link sensitivity}.
 *
 * @example
 * ```ts
 * specificity([1, 0, 0, 0], [1, 1, 0, 0]); // 0.6666…
 * ```
 */
export function specificity(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function specificity(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): Promise<number>;
export function specificity(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | Promise<number> {
  return thresholdMetric('specificity', 'specificity', yTrue, yPred, options);
}

/**
 * Precision (positive predictive value): TP / (TP + FP), the chance that a positive result is a
 * true positive.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ScoreOptions}.
 * @returns a number in [0, 1] (0 when nothing is called positive); a promise for tensor input.
 * @throws as {@link sensitivity}.
 *
 * @example
 * ```ts
 * precision([1, 0, 1, 0], [1, 1, 1, 0]); // 0.6666…
 * ```
 */
export function precision(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function precision(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): Promise<number>;
export function precision(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | Promise<number> {
  return thresholdMetric('precision', 'precision', yTrue, yPred, options);
}

/**
 * Negative predictive value: TN / (TN + FN), the chance that a negative result is a true
 * negative.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ScoreOptions}.
 * @returns a number in [0, 1]; a promise for tensor input.
 * @throws as {@link sensitivity}.
 *
 * @example
 * ```ts
 * negativePredictiveValue([1, 0, 0, 0], [0, 0, 0, 1]); // 0.6666…
 * ```
 */
export function negativePredictiveValue(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function negativePredictiveValue(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): Promise<number>;
export function negativePredictiveValue(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | Promise<number> {
  return thresholdMetric('npv', 'negativePredictiveValue', yTrue, yPred, options);
}

/**
 * F1: the harmonic mean of precision and sensitivity, 2TP / (2TP + FP + FN).
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ScoreOptions}.
 * @returns a number in [0, 1]; a promise for tensor input.
 * @throws as {@link sensitivity}.
 *
 * @example
 * ```ts
 * f1Score([1, 1, 0, 0], [1, 0, 1, 0]); // 0.5
 * ```
 */
export function f1Score(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ScoreOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function f1Score(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): Promise<number>;
export function f1Score(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ScoreOptions,
): number | Promise<number> {
  return thresholdMetric('f1', 'f1Score', yTrue, yPred, options);
}

/**
 * Accuracy: the (weighted) share of samples whose predicted label equals the true one.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link AccuracyOptions}.
 * @returns a number in [0, 1]; a promise for tensor input.
 * @throws {@link ShapeError} for lengths that differ or empty input; {@link ArgumentError} for
 *   NaN labels or negative weights.
 *
 * @example
 * ```ts
 * accuracy([0, 1, 2, 2], [0, 1, 1, 2]); // 0.75
 * ```
 */
export function accuracy(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: AccuracyOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function accuracy(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: AccuracyOptions,
): Promise<number>;
export function accuracy(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: AccuracyOptions,
): number | Promise<number> {
  const fn = 'accuracy';
  const o = resolveOptions(fn, options, ACCURACY_SPECS);
  return withLabelledValues(fn, yTrue, ['yPred', yPred], o.sampleWeights, (t, p, w) =>
    accuracyOf(labelPairs(fn, t, p, w, undefined)),
  );
}

function accuracyOf(pairs: LabelPairs): number {
  let right = 0;
  let all = 0;
  for (let i = 0; i < pairs.yTrue.length; i++) {
    const w = pairs.weight ? pairs.weight[i]! : 1;
    all += w;
    if (pairs.yTrue[i] === pairs.yPred[i]) right += w;
  }
  return right / all;
}

function balancedOf(pairs: LabelPairs): number {
  const m = countMatrix(pairs);
  const recalls: number[] = [];
  m.forEach((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    if (s > 0) recalls.push(row[i]! / s);
  });
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/**
 * Balanced accuracy: the mean sensitivity over the classes present in `yTrue`; for two classes
 * (sensitivity + specificity) / 2. Unlike accuracy it does not reward always predicting the
 * majority class (0.5 then, for two classes).
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link AccuracyOptions}.
 * @returns a number in [0, 1]; a promise for tensor input.
 * @throws as {@link accuracy}.
 *
 * @example
 * ```ts
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0]); // 0.5
 * ```
 */
export function balancedAccuracy(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: AccuracyOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number;
export function balancedAccuracy(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: AccuracyOptions,
): Promise<number>;
export function balancedAccuracy(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: AccuracyOptions,
): number | Promise<number> {
  const fn = 'balancedAccuracy';
  const o = resolveOptions(fn, options, ACCURACY_SPECS);
  return withLabelledValues(fn, yTrue, ['yPred', yPred], o.sampleWeights, (t, p, w) =>
    balancedOf(labelPairs(fn, t, p, w, undefined)),
  );
}

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** The classes to report. Defaults to the sorted union of the labels in `yTrue` and `yPred`. */
  labels?: readonly number[];
  /** One non-negative weight per sample. Defaults to 1 each. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
}

/**
 * Every threshold metric at once: per class (one-vs-rest) and averaged, with accuracy and
 * balanced accuracy; what a results table in a clinical paper reports.
 *
 * @param yTrue - true labels. @param yPred - predicted labels.
 * @param options - see {@link ClassificationReportOptions}.
 * @returns the report; a promise of it for tensor input.
 * @throws as {@link accuracy}.
 *
 * @example
 * ```ts
 * const r = classificationReport([0, 1, 1, 0], [0, 1, 0, 0]);
 * r.sensitivity; // [1, 0.5] (class 0, class 1)
 * r.specificity; // [0.5, 1]
 * ```
 */
export function classificationReport(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ClassificationReportOptions & {
    sampleWeights?: NumericArray;
    sampleWeight?: NumericArray;
  },
): ClassificationReport;
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ClassificationReportOptions,
): Promise<ClassificationReport>;
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ClassificationReportOptions,
): ClassificationReport | Promise<ClassificationReport> {
  const fn = 'classificationReport';
  const o = resolveOptions(fn, options, {
    labels: { constraint: { kind: 'any' } },
    sampleWeights: { constraint: { kind: 'any' } },
    sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
  });
  return withLabelledValues(fn, yTrue, ['yPred', yPred], o.sampleWeights, (t, p, w) => {
    const pairs = labelPairs(fn, t, p, w, o.labels);
    const m = countMatrix(pairs);
    const counts = perClass(m);
    const avg = (how: 'macro' | 'weighted'): AveragedScores => ({
      sensitivity: average('sensitivity', counts, how),
      specificity: average('specificity', counts, how),
      precision: average('precision', counts, how),
      npv: average('npv', counts, how),
      f1: average('f1', counts, how),
    });
    return {
      labels: pairs.labels,
      sensitivity: counts.map((c) => scoreOf('sensitivity', c)),
      specificity: counts.map((c) => scoreOf('specificity', c)),
      precision: counts.map((c) => scoreOf('precision', c)),
      npv: counts.map((c) => scoreOf('npv', c)),
      f1: counts.map((c) => scoreOf('f1', c)),
      support: counts.map((c) => c.tp + c.fn),
      accuracy: accuracyOf(pairs),
      balancedAccuracy: balancedOf(pairs),
      macro: avg('macro'),
      weighted: avg('weighted'),
    };
  });
}
