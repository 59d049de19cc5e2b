/**
 * Comparing numbers and tensors with a stated tolerance; a failure reports the worst element.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Tolerance: |a − e| ≤ atol + rtol·|e| for every element. */
export interface Tolerance {
  rtol?: number;
  atol?: number;
}

type Numeric =
  | number
  | readonly number[]
  | readonly (readonly number[])[]
  | ArrayLike<number>
  | tf.Tensor;

function flat(x: Numeric): number[] {
  if (typeof x === 'number') return [x];
  if (typeof (x as tf.Tensor).dataSync === 'function')
    return Array.from((x as tf.Tensor).dataSync() as ArrayLike<number>);
  if (Array.isArray(x)) return (x as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
  return Array.from(x as ArrayLike<number>);
}

/**
 * Throws unless `actual` and `expected` have the same number of elements and agree within the
 * tolerance (default rtol 1e-5, atol 1e-7); NaN never matches.
 */
export function expectClose(
  actual: Numeric,
  expected: Numeric,
  tol: Tolerance = {},
  what = 'value',
): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-7;
  const a = flat(actual);
  const e = flat(expected);
  if (a.length !== e.length) throw new Error(`${what}: ${a.length} elements, expected ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    const ei = e[i]!;
    const bound = atol + rtol * Math.abs(ei);
    const err = Math.abs(ai - ei);
    const excess = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err - bound;
    if (excess > worstExcess || (excess > 0 && worst < 0)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const ai = a[worst]!;
    const ei = e[worst]!;
    throw new Error(
      `${what}: element ${worst} of ${a.length} is ${ai}, expected ${ei} (|diff| ${Math.abs(ai - ei).toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`,
    );
  }
}
