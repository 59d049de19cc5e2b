/**
 * Turning a loss's arguments into checked tensors: logits, dense and class-index labels, class
 * weights, sample weights and positive weights. Shape and dtype checks always run (they are free);
 * value checks run on plain arrays always and on tensors only with `checkValues` (a device sync).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../core/errors.js';
import {
  assertNotEmpty,
  assertSameShape,
  checkArrayValues,
  formatShape,
  shapesEqual,
  type TensorInput,
  toTensor,
  type VectorInput,
} from '../core/tensors.js';
import { argName } from '../core/validate.js';

const FLOAT: readonly tf.DataType[] = ['float32'];
const NUMERIC: readonly tf.DataType[] = ['float32', 'int32'];

const finite = (v: number) => Number.isFinite(v);
const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
const unitInterval = (v: number) => v >= 0 && v <= 1;

/** Values of a tensor, read back (a device sync): only called under `checkValues`. */
function readValues(t: tf.Tensor): ArrayLike<number> {
  return t.dataSync() as ArrayLike<number>;
}

/**
 * The values to check: a plain array's own numbers (no device traffic), a tensor's values only
 * when `sync` allows the read-back, otherwise none.
 */
function valuesToCheck(input: unknown, t: tf.Tensor, sync: boolean): ArrayLike<number> | undefined {
  if (Array.isArray(input)) return input.flat(Number.POSITIVE_INFINITY) as number[];
  if (ArrayBuffer.isView(input)) return input as unknown as ArrayLike<number>;
  return sync ? readValues(t) : undefined;
}

/**
 * Logits (or probabilities) as a float32 tensor of rank ≥ `minRank`, not empty.
 *
 * @internal
 */
export function toLogits(
  x: TensorInput,
  fn: string,
  checkValues: boolean,
  name = 'logits',
  minRank = 1,
): tf.Tensor {
  const t = toTensor(x, argName(fn, name), FLOAT);
  if (t.rank < minRank) {
    throw new ShapeError(
      `${argName(fn, name)} must have rank ≥ ${minRank}. Received: shape ${formatShape(t.shape)}.`,
    );
  }
  assertNotEmpty(t, argName(fn, name));
  const values = valuesToCheck(x, t, checkValues);
  if (values) checkArrayValues(values, argName(fn, name), finite, 'finite numbers');
  return t;
}

/**
 * Dense labels (one-hot, probabilities, or 0/1 for the sigmoid family) of the same shape as the
 * logits, float32, values in [0, 1].
 *
 * @internal
 */
export function toDenseLabels(
  labels: TensorInput,
  logits: tf.Tensor,
  fn: string,
  checkValues: boolean,
): tf.Tensor {
  const y = toTensor(labels, argName(fn, 'labels'), NUMERIC);
  const yf = y.dtype === 'float32' ? y : tf.cast(y, 'float32');
  assertSameShape(yf, logits, 'labels', 'logits', fn);
  const values = valuesToCheck(labels, yf, checkValues);
  if (values) checkArrayValues(values, argName(fn, 'labels'), unitInterval, 'values in [0, 1]');
  return yf;
}

/** Class-index labels, resolved. @internal */
export interface SparseLabels {
  /** One-hot float32 targets, the logits' shape; all zero where the label is `ignoreIndex`. */
  targets: tf.Tensor;
  /** bool mask of counted units, when `ignoreIndex` is set. */
  counted: tf.Tensor | undefined;
}

/**
 * Class-index labels for logits of shape `[..., C]` (an int32 tensor, a float tensor of whole
 * numbers, or a `number[]`, of shape `[...]`; a trailing axis of 1 is accepted too), as one-hot
 * targets of the logits' shape.
 *
 * @internal
 */
export function toSparseLabels(
  labels: TensorInput,
  logits: tf.Tensor,
  fn: string,
  ignoreIndex: number | undefined,
  checkValues: boolean,
): SparseLabels {
  const name = argName(fn, 'labels');
  const raw = toTensor(labels, name, NUMERIC); // float first: 0.5 must be seen, not truncated
  const unitShape = logits.shape.slice(0, -1);
  let y = raw;
  if (!shapesEqual(y.shape, unitShape)) {
    if (
      y.rank === unitShape.length + 1 &&
      y.shape[y.rank - 1] === 1 &&
      shapesEqual(y.shape.slice(0, -1), unitShape)
    ) {
      y = tf.reshape(y, unitShape);
    } else {
      throw new ShapeError(
        `${fn}: \`labels\` must have shape ${formatShape(unitShape)} (the logits' shape without the class axis). Received: labels.shape=${formatShape(raw.shape)}, logits.shape=${formatShape(logits.shape)}.`,
      );
    }
  }
  const numClasses = logits.shape[logits.rank - 1]!;
  const values = valuesToCheck(labels, y, checkValues);
  if (values) {
    checkArrayValues(
      values,
      name,
      (v) => v === ignoreIndex || (Number.isInteger(v) && v >= 0 && v < numClasses),
      `class indices in [0, ${numClasses})${ignoreIndex === undefined ? '' : ` or ignoreIndex ${ignoreIndex}`}`,
    );
  }
  const asInt = y.dtype === 'int32' ? y : tf.cast(y, 'int32');
  const targets = tf.cast(tf.oneHot(asInt, numClasses), 'float32');
  if (ignoreIndex === undefined) return { targets, counted: undefined };
  // ignoreIndex may itself be a class index: zero its rows (reduceLoss masks them too)
  const counted = tf.notEqual(asInt, ignoreIndex);
  return { targets: tf.mul(targets, tf.expandDims(tf.cast(counted, 'float32'), -1)), counted };
}

/**
 * A weight vector of `length` entries (or 1 entry when `allowOne`), float32, each finite ≥ 0.
 *
 * @internal
 */
export function toWeightVector(
  x: VectorInput | undefined,
  name: string,
  fn: string,
  length: number,
  checkValues: boolean,
  allowOne = false,
): tf.Tensor1D | undefined {
  if (x === undefined) return undefined;
  const label = argName(fn, name);
  const t = toTensor(x as TensorInput, label, NUMERIC);
  if (t.rank !== 1 || (t.shape[0] !== length && !(allowOne && t.shape[0] === 1))) {
    throw new ShapeError(
      `${label} must be a vector of ${length} weights${allowOne ? ' (or 1)' : ''}. Received: shape ${formatShape(t.shape)}.`,
    );
  }
  const tf32 = (t.dtype === 'float32' ? t : tf.cast(t, 'float32')) as tf.Tensor1D;
  const values = valuesToCheck(x, tf32, checkValues);
  if (values) checkArrayValues(values, label, nonNegative, 'finite weights ≥ 0');
  return tf32;
}

/**
 * Sample weights for units of shape `unitShape`: a vector of one weight per sample (first axis),
 * reshaped to broadcast, or a tensor of the units' shape.
 *
 * @internal
 */
export function toSampleWeights(
  x: TensorInput | undefined,
  unitShape: readonly number[],
  fn: string,
  checkValues: boolean,
): tf.Tensor | undefined {
  if (x === undefined) return undefined;
  const label = argName(fn, 'sampleWeights');
  const t = toTensor(x, label, NUMERIC);
  const tf32 = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  let out: tf.Tensor;
  if (shapesEqual(tf32.shape, unitShape)) out = tf32;
  else if (tf32.rank === 1 && unitShape.length >= 1 && tf32.shape[0] === unitShape[0]) {
    out = tf.reshape(tf32, [unitShape[0]!, ...unitShape.slice(1).map(() => 1)]);
  } else {
    throw new ShapeError(
      `${label} must have shape [${unitShape[0] ?? ''}] (one per sample) or ${formatShape(unitShape)} (one per unit). Received: shape ${formatShape(tf32.shape)}.`,
    );
  }
  const values = valuesToCheck(x, tf32, checkValues);
  if (values) checkArrayValues(values, label, nonNegative, 'finite weights ≥ 0');
  return out;
}
