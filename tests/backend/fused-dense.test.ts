/**
 * Dense layers by one kernel call forward (MedkitDenseForward) and one backward
 * (MedkitDenseBackward): outputs and gradients bit for bit those of tfjs-layers' own Dense
 * (linear, relu, sigmoid and tanh; with and without a bias; odd sizes), on cpu and wasm; one
 * backward kernel a layer, with no product for the data's gradient (computed when asked for); the per-example pieces (row i of the gradient with respect to the
 * pre-activation output depends on example i alone); layers restored; no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { denseOp, fuseDenseLayers } from '../../src/backend/fused-dense.js';
import { registerTrainingKernels } from '../../src/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;

/** A stack of dense layers of odd sizes ending in each activation; seeded weights. */
function model(activation: (typeof ACTIVATIONS)[number], useBias: boolean): tfl.Sequential {
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 13, inputShape: [9], activation: 'relu', useBias }),
      tfl.layers.dense({ units: 8, activation, useBias }),
      tfl.layers.dense({ units: 3, activation, useBias, kernelInitializer: 'glorotNormal' }),
    ],
  });
  return m;
}

/**
 * The loss's value, its gradients with respect to every weight, and the kernels run, from the
 * weights `initial` (written afresh: wasm's _FusedMatMul hands weights used three times to
 * XNNPACK, whose sums differ in the last bit, so each run starts from new tensors).
 */
async function gradients(m: tfl.Sequential, x: tf.Tensor, initial: tf.Tensor[]) {
  const fresh = initial.map((t) => tf.mul(t, 1));
  m.setWeights(fresh);
  tf.dispose(fresh);
  const weights = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const f = () => tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
  const run = () => tf.variableGrads(f, weights);
  const profile = await tf.profile(() => {
    const { value, grads } = run();
    tf.dispose([value, ...Object.values(grads)]);
  });
  const kernels = profile.kernels.map((k) => k.name);
  // the shapes each backward call returned (dx, dw, db as asked)
  const backward = profile.kernels
    .filter((k) => k.name === 'MedkitDenseBackward')
    .map((k) => k.outputShapes);
  const { value, grads } = run();
  const out = {
    value: Array.from(value.dataSync()),
    grads: weights.map((w) => Array.from(grads[w.name]!.dataSync())),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return { ...out, kernels, backward };
}

describeBackends('fused dense layers', (backend) => {
  for (const activation of ACTIVATIONS)
    for (const useBias of [true, false])
      it(`${backend}: ${activation}${useBias ? '' : ', no bias'}: bit for bit tfjs-layers' Dense, one backward kernel a layer`, async () => {
        const m = model(activation, useBias);
        const initial = m
          .getWeights()
          .map((w, i) => tf.randomNormal(w.shape, 0, 0.7, 'float32', 10 + i));
        const x = tf.randomNormal([11, 9], 0, 1, 'float32', 3);
        const own = await gradients(m, x, initial);
        const restore = fuseDenseLayers([m]);
        const fused = await gradients(m, x, initial);
        restore();
        expect(fused.value).toEqual(own.value);
        expect(fused.grads).toEqual(own.grads);
        // last layer first; the first layer's input is the data: no dx for it
        const db = useBias ? [[3]] : [];
        expect(fused.backward).toEqual([
          [[11, 8], [8, 3], ...db],
          [[11, 13], [13, 8], ...(useBias ? [[8]] : [])],
          [[9, 13], ...(useBias ? [[13]] : [])],
        ]);
        expect(fused.kernels).not.toContain('BatchMatMul');
        expect(fused.kernels.length).toBeLessThan(own.kernels.length);
        // restored: the layers' own call again
        const again = await gradients(m, x, initial);
        expect(again.kernels).not.toContain('MedkitDenseBackward');
        expect(m.layers.some((l) => Object.hasOwn(l, 'call'))).toBe(false);
        tf.dispose([x, ...initial]);
        m.dispose();
      });

  it(`${backend}: row i of δ is example i's own: changing one example changes one row of dx`, () => {
    const w = tf.randomNormal([6, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([5], 0, 1, 'float32', 2) as tf.Tensor1D;
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
    const x2 = tf.tidy(() => tf.concat([tf.slice(x, [0, 0], [3, 6]), tf.fill([1, 6], 3)]));
    const dx = (input: tf.Tensor2D) =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.square(denseOp(v as tf.Tensor2D, w, b, 'tanh'))))(input);
    const [a, c] = [dx(x), dx(x2 as tf.Tensor2D)];
    const [ra, rc] = [a.arraySync() as number[][], c.arraySync() as number[][]];
    expect(rc.slice(0, 3)).toEqual(ra.slice(0, 3));
    expect(rc[3]).not.toEqual(ra[3]);
    tf.dispose([w, b, x, x2, a, c]);
  });

  it(`${backend}: no tensor left behind, forward and backward`, async () => {
    const m = model('sigmoid', true);
    const x = tf.randomNormal([5, 9], 0, 1, 'float32', 5);
    const restore = fuseDenseLayers([m]);
    const weights = m.trainableWeights.map((w) => w.read() as tf.Variable);
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        weights,
      );
      tf.dispose([value, ...Object.values(grads)]);
      tf.dispose(m.predict(x));
    });
    restore();
    tf.dispose(x);
    m.dispose();
  });
});
