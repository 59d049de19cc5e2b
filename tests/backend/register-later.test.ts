/**
 * registerTrainingKernels() before the wasm backend is imported (this file runs in its own
 * process): the missing kernels are registered at once, the replacements when wasm is first set.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it } from 'vitest';
import { registeredTrainingKernels } from '../../src/backend/register-training-kernels.js';
import { registerTrainingKernels } from '../../src/index.js';

it('applies the wasm replacements when wasm, imported later, is first set', async () => {
  expect(tf.getKernel('Conv2D', 'wasm')).toBeUndefined();
  const first = registerTrainingKernels();
  expect(first).toContain('Conv2DBackpropFilter');
  expect(registeredTrainingKernels()).not.toContain('wasm/BatchMatMul');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  expect(registeredTrainingKernels()).toEqual(
    expect.arrayContaining([
      'wasm/BatchMatMul',
      'wasm/Conv2DBackpropInput',
      'wasm/Slice',
      'wasm/Conv2DBackpropFilter',
    ]),
  );
  // and they work: a conv2d gradient on wasm
  const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const gw = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')))(w);
  expect(gw.shape).toEqual([3, 3, 2, 3]);
  expect(Array.from(gw.dataSync()).every(Number.isFinite)).toBe(true);
  tf.dispose([x, w, gw]);
});
