/**
 * Tensor helpers shared by the modules: conversion of user input (arrays or tensors) to tensors,
 * and the shape and dtype checks every public function runs at its boundary.
 *
 * None of these read tensor values back from the backend, so they are free to call inside a
 * training step.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, ShapeError } from './errors.js';

/*
 * The library's one vocabulary for "numbers on the host or a tensor": TensorInput (any shape),
 * VectorInput (one value per sample: labels, scores, weights) and MatrixInput (one row per
 * sample); NumericArray is the host-side part of each.
 */

/** A tensor of any shape, or plain (nested) numbers the function turns into one. */
export type TensorInput = tf.Tensor | tf.TensorLike;

/** Numbers on the host: a plain array or a typed array. */
export type NumericArray =
  | readonly number[]
  | Float32Array
  | Float64Array
  | Int32Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Int16Array
  | Uint32Array;

/** One value per sample (labels, scores, weights): numbers on the host, or a 1-D tensor. */
export type VectorInput = NumericArray | tf.Tensor;

/** One row per sample: rows of numbers on the host, or a 2-D tensor. */
export type MatrixInput = readonly (readonly number[])[] | tf.Tensor;

/** `[2, 3]` → `"[2, 3]"`. @internal */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** True when the two shapes are equal. @internal */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** True for a tfjs tensor (of any tfjs-core copy that follows the Tensor shape). @internal */
export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/**
 * Converts `x` to a tensor of one of the `allowed` dtypes, refusing anything else with an
 * {@link ArgumentError} naming `name`. Plain arrays become `fallback` tensors; an int32 tensor is
 * cast to float32 when only float32 is allowed.
 *
 * @internal
 */
export function toTensor(
  x: TensorInput,
  name: string,
  allowed: readonly tf.DataType[],
  fallback: 'float32' | 'int32' = 'float32',
): tf.Tensor {
  if (isTensor(x)) {
    if (x.isDisposed) throw new ArgumentError(`${name} is a disposed tensor.`);
    if (allowed.includes(x.dtype)) return x;
    if (x.dtype === 'int32' && allowed.includes('float32')) return tf.cast(x, 'float32');
    throw new ArgumentError(
      `${name} must be a tensor of dtype ${allowed.join(' or ')}. Received: ${describeValue(x)}.`,
    );
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x) || typeof x === 'number') {
    if (
      Array.isArray(x) &&
      !(x.flat(Number.POSITIVE_INFINITY) as unknown[]).every((v) => typeof v === 'number')
    ) {
      throw new ArgumentError(
        `${name} must be a tensor or a (nested) array of numbers. Received: ${describeValue(x)}.`,
      );
    }
    try {
      return tf.tensor(x as tf.TensorLike, undefined, fallback);
    } catch (e) {
      throw new ArgumentError(
        `${name} must be a tensor or a (nested) array of numbers. Received: ${describeValue(x)}.`,
        {
          cause: e,
        },
      );
    }
  }
  throw new ArgumentError(
    `${name} must be a tensor or a (nested) array of numbers. Received: ${describeValue(x)}.`,
  );
}

/**
 * Throws a {@link ShapeError} unless `a` and `b` have the same shape.
 *
 * @internal
 */
export function assertSameShape(
  a: tf.Tensor,
  b: tf.Tensor,
  nameA: string,
  nameB: string,
  fn: string,
): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(
      `${fn}: \`${nameA}\` and \`${nameB}\` must have the same shape. Received: ${nameA}.shape=${formatShape(a.shape)}, ${nameB}.shape=${formatShape(b.shape)}.`,
    );
  }
}

/**
 * Throws a {@link ShapeError} when a tensor has no elements.
 *
 * @internal
 */
export function assertNotEmpty(t: tf.Tensor, name: string): void {
  if (t.size === 0)
    throw new ShapeError(`${name} must not be empty. Received: shape ${formatShape(t.shape)}.`);
}

/**
 * Checks every value of a plain list of numbers with `ok`, throwing an {@link ArgumentError} at
 * the first that fails (plain arrays are already on the CPU, so this costs no device sync).
 *
 * @internal
 */
export function checkArrayValues(
  values: ArrayLike<number>,
  name: string,
  ok: (v: number) => boolean,
  expected: string,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!ok(v))
      throw new ArgumentError(
        `${name} must hold ${expected}. Received: ${describeValue(v)} at index ${i}.`,
      );
  }
}

/**
 * Throws an {@link ArgumentError} naming `name` unless every value of `x` is finite. It reads one
 * boolean back from the backend, so call it once at a public boundary, never inside a step.
 *
 * @param name - the argument as messages show it (`` trainClassifier: `data.x` ``).
 * @param hint - what the caller should do, appended to the message.
 * @internal
 */
export async function checkFinite(
  x: tf.Tensor,
  name: string,
  hint = 'clean or impute them first',
): Promise<void> {
  const all = tf.tidy(() => tf.all(tf.isFinite(x)));
  const [ok] = await all.data();
  all.dispose();
  if (!ok) throw new ArgumentError(`${name} holds NaN or infinite values; ${hint}.`);
}
