/**
 * The confusion matrix: counts (or weights) of each true class against each predicted class,
 * rows = true class, columns = predicted class, as scikit-learn's `confusion_matrix`. Every
 * threshold metric (sensitivity, specificity, …) is read off it.
 *
 * @module
 */
import { ArgumentError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import {
  type NumericArray,
  uniqueSorted,
  type Values,
  type VectorInput,
  vector,
  weights,
  withLabelledValues,
} from './inputs.js';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * The classes, in the order of the rows and columns. Samples whose true or predicted label is
   * not listed are left out. Defaults to the sorted union of the labels in `yTrue` and `yPred`.
   */
  labels?: readonly number[];
  /** One non-negative weight per sample. Defaults to 1 each. */
  sampleWeights?: VectorInput;
  /** @deprecated The former spelling of `sampleWeights`; it still works. */
  sampleWeight?: VectorInput;
  /**
   * Divide by the row sums (`'true'`: each row is the distribution of predictions for that true
   * class, its diagonal the class's recall), the column sums (`'pred'`), or the total (`'all'`).
   * An all-zero row or column stays 0. Defaults to raw counts.
   */
  normalize?: 'true' | 'pred' | 'all';
}

const SPECS = {
  labels: { constraint: { kind: 'any' } },
  sampleWeights: { constraint: { kind: 'any' } },
  sampleWeight: { constraint: { kind: 'any' }, aliasOf: 'sampleWeights' },
  normalize: { constraint: { kind: 'string', oneOf: ['true', 'pred', 'all'] } },
} as const;

/** Validated labels, predictions, weights and class list. @internal */
export interface LabelPairs {
  yTrue: Float64Array;
  yPred: Float64Array;
  weight: Float64Array | undefined;
  labels: number[];
}

/**
 * Reads and checks a (true, predicted) label pair and the class list.
 *
 * @internal
 */
export function labelPairs(
  fn: string,
  t: Values,
  p: Values,
  w: Values | undefined,
  labels: readonly number[] | undefined,
): LabelPairs {
  const yTrue = vector(t, `${fn}: \`yTrue\``);
  const yPred = vector(p, `${fn}: \`yPred\``, yTrue.length);
  const weight = weights(w, `${fn}: \`sampleWeights\``, yTrue.length);
  let list: number[];
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every(Number.isFinite)) {
      throw new ArgumentError(`${fn}: \`labels\` must be a non-empty array of finite numbers.`);
    }
    if (new Set(labels).size !== labels.length) {
      throw new ArgumentError(`${fn}: \`labels\` must not repeat a label.`);
    }
    list = [...labels];
  } else {
    list = uniqueSorted([...yTrue, ...yPred]);
  }
  return { yTrue, yPred, weight, labels: list };
}

/** The raw (weighted) matrix of a validated pair. @internal */
export function countMatrix(pairs: LabelPairs): number[][] {
  const k = pairs.labels.length;
  const index = new Map(pairs.labels.map((c, i) => [c, i]));
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < pairs.yTrue.length; i++) {
    const r = index.get(pairs.yTrue[i]!);
    const c = index.get(pairs.yPred[i]!);
    if (r === undefined || c === undefined) continue;
    m[r]![c]! += pairs.weight ? pairs.weight[i]! : 1;
  }
  return m;
}

/**
 * The confusion matrix C, with C[i][j] the (weighted) number of samples of true class
 * `labels[i]` predicted as `labels[j]`.
 *
 * @param yTrue - the true labels, one per sample.
 * @param yPred - the predicted labels, one per sample.
 * @param options - see {@link ConfusionMatrixOptions}.
 * @returns `number[][]`, rows = true class; a promise of it when any argument is a tensor.
 * @throws {@link ShapeError} when the lengths differ or the input is empty;
 *   {@link ArgumentError} for NaN/infinite labels, negative weights or repeated `labels`.
 *
 * @example
 * ```ts
 * confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2]); // [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: NumericArray,
  yPred: NumericArray,
  options?: ConfusionMatrixOptions & { sampleWeights?: NumericArray; sampleWeight?: NumericArray },
): number[][];
export function confusionMatrix(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ConfusionMatrixOptions,
): Promise<number[][]>;
export function confusionMatrix(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ConfusionMatrixOptions,
): number[][] | Promise<number[][]> {
  const fn = 'confusionMatrix';
  const o = resolveOptions(fn, options, SPECS);
  return withLabelledValues(fn, yTrue, ['yPred', yPred], o.sampleWeights, (t, p, w) => {
    const m = countMatrix(labelPairs(fn, t, p, w, o.labels));
    const k = m.length;
    const div = (v: number, d: number) => (d === 0 ? 0 : v / d);
    if (o.normalize === 'true') {
      return m.map((row) => {
        const s = row.reduce((a, b) => a + b, 0);
        return row.map((v) => div(v, s));
      });
    }
    if (o.normalize === 'pred') {
      const cols = Array.from({ length: k }, (_, j) => m.reduce((a, row) => a + row[j]!, 0));
      return m.map((row) => row.map((v, j) => div(v, cols[j]!)));
    }
    if (o.normalize === 'all') {
      const s = m.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
      return m.map((row) => row.map((v) => div(v, s)));
    }
    return m;
  });
}
