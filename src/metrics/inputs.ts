/**
 * Metric inputs: plain arrays, typed arrays or tensors, read once into float64 arrays.
 *
 * Every metric is plain arithmetic on the host (scikit-learn's definitions, in double
 * precision). When every argument is already a JavaScript array the metric answers
 * synchronously; when any argument is a tensor its values are read with `await tensor.data()`
 * (never `dataSync`, so a webgl or webgpu backend is not blocked) and the metric answers with a
 * promise. {@link withValues} makes that choice for each public metric.
 *
 * @module
 */
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import {
  formatShape,
  isTensor,
  type MatrixInput,
  type NumericArray,
  type VectorInput,
} from '../core/tensors.js';

export type { MatrixInput, NumericArray, VectorInput };

/**
 * One value per sample.
 *
 * @deprecated The former name of {@link VectorInput}; it still works.
 */
export type MetricVector = VectorInput;

/**
 * Scores: one per sample (binary: the positive class's score), or one row per sample and one
 * column per class (`number[][]` or a 2-D tensor).
 */
export type MetricScores = VectorInput | MatrixInput;

/** Host-side values of one argument. @internal */
export interface Values {
  /** The values, row-major. */
  data: Float64Array;
  /** `[n]` or `[n, k]`. */
  shape: number[];
}

/** Scores on the host (no tensor): a plain or typed array, or one row per sample. */
export type HostScores = NumericArray | readonly (readonly number[])[];

function fromHost(x: unknown, name: string): Values {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    const a = x as unknown as ArrayLike<number>;
    return { data: Float64Array.from(a), shape: [a.length] };
  }
  if (Array.isArray(x)) {
    if (x.length > 0 && Array.isArray(x[0])) {
      const rows = x as unknown[][];
      const k = rows[0]!.length;
      const data = new Float64Array(rows.length * k);
      rows.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== k) {
          throw new ShapeError(
            `${name} must be a rectangular array: row 0 has ${k} values, row ${i} has ${Array.isArray(row) ? row.length : describeValue(row)}.`,
          );
        }
        for (let j = 0; j < k; j++) {
          const v = row[j];
          if (typeof v !== 'number') {
            throw new ArgumentError(
              `${name} must hold numbers. Received: ${describeValue(v)} at [${i}, ${j}].`,
            );
          }
          data[i * k + j] = v;
        }
      });
      return { data, shape: [rows.length, k] };
    }
    const data = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (typeof v !== 'number') {
        throw new ArgumentError(
          `${name} must hold numbers. Received: ${describeValue(v)} at index ${i}.`,
        );
      }
      data[i] = v;
    }
    return { data, shape: [x.length] };
  }
  throw new ArgumentError(
    `${name} must be an array of numbers, a typed array or a tensor. Received: ${describeValue(x)}.`,
  );
}

/**
 * Reads every argument to host values and calls `compute`: synchronously when none is a tensor,
 * through a promise when any is. `undefined` arguments (optional weights) stay `undefined`.
 *
 * @internal
 */
export function withValues<R>(
  fn: string,
  args: readonly (readonly [name: string, value: unknown])[],
  compute: (values: (Values | undefined)[]) => R,
): R | Promise<R> {
  const named = args.map(([n, v]) => [`${fn}: \`${n}\``, v] as const);
  if (!named.some(([, v]) => isTensor(v))) {
    return compute(named.map(([n, v]) => (v === undefined ? undefined : fromHost(v, n))));
  }
  return Promise.all(
    named.map(async ([n, v]): Promise<Values | undefined> => {
      if (v === undefined) return undefined;
      if (!isTensor(v)) return fromHost(v, n);
      if (v.isDisposed) throw new ArgumentError(`${n} is a disposed tensor.`);
      if (v.rank > 2) {
        throw new ShapeError(`${n} must be 1-D or 2-D. Received: shape ${formatShape(v.shape)}.`);
      }
      return { data: Float64Array.from(await v.data()), shape: v.shape.slice() };
    }),
  ).then(compute);
}

/**
 * {@link withValues} for a metric's usual arguments: the true labels, the scores or predictions
 * (named `name`), and optional sample weights.
 *
 * @internal
 */
export function withLabelledValues<R>(
  fn: string,
  yTrue: unknown,
  [name, values]: readonly [name: string, values: unknown],
  sampleWeights: unknown,
  compute: (yTrue: Values, values: Values, sampleWeights: Values | undefined) => R,
): R | Promise<R> {
  return withValues(
    fn,
    [
      ['yTrue', yTrue],
      [name, values],
      ['sampleWeights', sampleWeights],
    ],
    ([t, v, w]) => compute(t!, v!, w),
  );
}

/**
 * Checks a per-sample vector: 1-D (or `[n, 1]`), non-empty, finite, and as long as `n` when
 * given. Returns the values.
 *
 * @internal
 */
export function vector(v: Values, name: string, n?: number): Float64Array {
  const { data, shape } = v;
  if (shape.length === 2 && shape[1] !== 1) {
    throw new ShapeError(
      `${name} must be 1-D (one value per sample). Received: shape ${formatShape(shape)}.`,
    );
  }
  if (shape.length > 2) {
    throw new ShapeError(`${name} must be 1-D. Received: shape ${formatShape(shape)}.`);
  }
  if (data.length === 0) throw new ShapeError(`${name} must not be empty.`);
  if (n !== undefined && data.length !== n) {
    throw new ShapeError(
      `${name} must have one value per sample (${n}). Received: ${data.length} values.`,
    );
  }
  finite(data, name);
  return data;
}

/** Throws an {@link ArgumentError} at the first NaN or infinite value. @internal */
export function finite(data: Float64Array, name: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new ArgumentError(
        `${name} must hold finite numbers. Received: ${describeValue(data[i])} at index ${i}.`,
      );
    }
  }
}

/** Checks optional sample weights (finite, ≥ 0, not all zero). @internal */
export function weights(v: Values | undefined, name: string, n: number): Float64Array | undefined {
  if (v === undefined) return undefined;
  const w = vector(v, name, n);
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i]! < 0) {
      throw new ArgumentError(
        `${name} must be non-negative. Received: ${describeValue(w[i])} at index ${i}.`,
      );
    }
    total += w[i]!;
  }
  if (total === 0) throw new ArgumentError(`${name} must not be all zero.`);
  return w;
}

/** The distinct values of `data`, ascending. @internal */
export function uniqueSorted(data: ArrayLike<number>): number[] {
  return [...new Set(Array.from(data))].sort((a, b) => a - b);
}

/**
 * Picks the positive label of a binary problem by scikit-learn's rule: the given one, or 1 when
 * the labels are a subset of {0, 1} or {−1, 1}; anything else must name it.
 *
 * @internal
 */
export function positiveLabelOf(
  yTrue: Float64Array,
  given: number | undefined,
  fn: string,
): number {
  const classes = uniqueSorted(yTrue);
  if (given !== undefined) return given;
  const sub = (set: number[]) => classes.every((c) => set.includes(c));
  if (sub([0, 1]) || sub([-1, 1])) return 1;
  throw new ArgumentError(
    `${fn}: the labels are ${classes.join(', ')}, so \`positiveLabel\` must say which is positive.`,
  );
}
