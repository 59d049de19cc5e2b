/**
 * `Multiply` and `Add` for the cpu backend on float32 operands of the same shape (or one of a
 * single element), and `Add` of a bias along the last axis, as plain loops: the stock kernels index both operands modulo their lengths
 * and call a closure per element, which a training step pays for every activation (every ReLU
 * gradient multiplies a whole one). Each element is computed in double precision and
 * stored as float32, as the stock kernels do: the same values. Other dtypes and broadcasts go to
 * the stock kernels.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor } from './js-access.js';

/** Builds `Multiply` (or, with `add`, `Add`) for `backendName`. @internal */
export function binaryLoop(add: boolean): (backendName: string) => tf.KernelFunc {
  const kernelName = add ? 'Add' : 'Multiply';
  return (backendName) =>
    ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const sizeA = tf.util.sizeFromShape(a.shape);
      const sizeB = tf.util.sizeFromShape(b.shape);
      // a bias added along the last axis: [..., C] + [C]
      const bias =
        add &&
        a.dtype === 'float32' &&
        b.dtype === 'float32' &&
        b.shape.length === 1 &&
        a.shape.length >= 2 &&
        a.shape.at(-1) === b.shape[0] &&
        sizeB > 1;
      if (bias) {
        const { out, outValues, values } = accessFor(backendName, backend).output(
          a.shape,
          [a, b],
          false,
        );
        const [av, bv] = values as [Float32Array, Float32Array];
        for (let i = 0; i < av.length; i += sizeB)
          for (let j = 0; j < sizeB; j++) outValues[i + j] = av[i + j]! + bv[j]!;
        return out;
      }
      const simple =
        a.dtype === 'float32' &&
        b.dtype === 'float32' &&
        (tf.util.arraysEqual(a.shape, b.shape) ||
          (sizeA === 1 && b.shape.length >= a.shape.length) ||
          (sizeB === 1 && a.shape.length >= b.shape.length));
      if (!simple)
        return callKernel(
          kernelName,
          backendName,
          backend as never,
          inputs as never,
          attrs as never,
        );
      const shape = sizeA >= sizeB && a.shape.length >= b.shape.length ? a.shape : b.shape;
      const { out, outValues, values } = accessFor(backendName, backend).output(
        shape,
        [a, b],
        false,
      );
      const [av, bv] = values as [Float32Array, Float32Array];
      const n = outValues.length;
      if (sizeA === n && sizeB === n) {
        if (add) for (let i = 0; i < n; i++) outValues[i] = av[i]! + bv[i]!;
        else for (let i = 0; i < n; i++) outValues[i] = av[i]! * bv[i]!;
      } else {
        // one operand is a single element
        const [vector, s] = sizeA === n ? [av, bv[0]!] : [bv, av[0]!];
        if (add) for (let i = 0; i < n; i++) outValues[i] = vector[i]! + s;
        else for (let i = 0; i < n; i++) outValues[i] = vector[i]! * s;
      }
      return out;
    };
}
