/**
 * Dense layers by one kernel call forward (MedkitDenseForward) and one backward
 * (MedkitDenseBackward): outputs and gradients bit for bit those of tfjs-layers' own Dense
 * (linear, relu, sigmoid and tanh; with and without a bias; odd sizes), on cpu and wasm; one
 * backward kernel a layer, with no product for the data's gradient (computed when asked for);
 * the per-example pieces (row i of the gradient with respect to the pre-activation output
 * depends on example i alone); layers restored; no leaks. Conv2D layers likewise
 * (MedkitConv2DForward, MedkitConv2DBackward): outputs and gradients those of tfjs-layers' own
 * Conv2D to float32 rounding (the fused forward adds the bias inside the convolution's sums),
 * strides 1 and 2, 'same' and 'valid', every activation; layers left alone where the kernels do
 * not apply (dilation, channels first).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { conv2dOp, denseOp, fuseLayers, withFusedLayers } from '../../src/backend/fused-layers.js';
import { ArgumentError, createLoss, fusedAdam, registerTrainingKernels } from '../../src/index.js';
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
async function gradients(
  m: tfl.LayersModel,
  x: tf.Tensor,
  initial: tf.Tensor[],
  backwardKernel = 'MedkitDenseBackward',
) {
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
    .filter((k) => k.name === backwardKernel)
    .map((k) => k.outputShapes);
  const { value, grads } = run();
  const out = {
    value: Array.from(value.dataSync()),
    grads: weights.map((w) => Array.from(grads[w.name]!.dataSync())),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return { ...out, kernels, backward };
}

/** Weights for `m` drawn from N(0, sd²), each seeded: seed, seed + 1, … */
function seededWeights(m: tfl.LayersModel, sd: number, seed: number): tf.Tensor[] {
  return m.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, sd, 'float32', seed + i));
}

/** {@link gradients} of `m` with its layers' own calls, then with them fused (restored after). */
async function ownThenFused(
  m: tfl.LayersModel,
  x: tf.Tensor,
  initial: tf.Tensor[],
  backwardKernel?: string,
) {
  const own = await gradients(m, x, initial, backwardKernel);
  const restore = fuseLayers([m]);
  try {
    return { own, fused: await gradients(m, x, initial, backwardKernel) };
  } finally {
    restore();
  }
}

/** A gradient and a prediction of `m` (its layers fused) on `x` leave no tensor behind; disposes both. */
async function expectFusedNoLeak(m: tfl.LayersModel, x: tf.Tensor) {
  const restore = fuseLayers([m]);
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
}

/** The seed CNN's layers at a small size (8×8 inputs of `channels`), seeded. */
function pooledCnn(channels: number): tfl.Sequential {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, channels],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  m.setWeights(seededWeights(m, 0.3, 70));
  return m;
}

describeBackends('fused dense layers', (backend) => {
  for (const activation of ACTIVATIONS)
    for (const useBias of [true, false])
      it(`${backend}: ${activation}${useBias ? '' : ', no bias'}: bit for bit tfjs-layers' Dense, one backward kernel a layer`, async () => {
        const m = model(activation, useBias);
        const initial = seededWeights(m, 0.7, 10);
        const x = tf.randomNormal([11, 9], 0, 1, 'float32', 3);
        const { own, fused } = await ownThenFused(m, x, initial);
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
    await expectFusedNoLeak(model('sigmoid', true), tf.randomNormal([5, 9], 0, 1, 'float32', 5));
  });
});

/** Two convolutions (the first on the data) and a dense head; seeded weights. */
function cnn(
  activation: (typeof ACTIVATIONS)[number],
  useBias: boolean,
  strides: number,
  padding: 'same' | 'valid',
): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [9, 11, 3],
        filters: 8,
        kernelSize: 3,
        activation,
        useBias,
        padding,
      }),
      tfl.layers.conv2d({ filters: 12, kernelSize: [3, 2], strides, activation, useBias, padding }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

/** max |a − b| ≤ tol · max |b| entry-wise over each array. */
function expectClose(a: number[][], b: number[][], tol: number) {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => {
    const ref = b[i]!;
    const scale = Math.max(...ref.map(Math.abs));
    const worst = Math.max(...row.map((v, j) => Math.abs(v - ref[j]!)));
    expect(worst).toBeLessThanOrEqual(tol * scale);
  });
}

describeBackends('fused convolution layers', (backend) => {
  for (const activation of ACTIVATIONS)
    for (const [strides, padding, useBias] of [
      [1, 'same', true],
      [2, 'valid', true],
      [2, 'same', false],
    ] as const)
      it(`${backend}: ${activation}, stride ${strides}, ${padding}${useBias ? '' : ', no bias'}: tfjs-layers' Conv2D to rounding, one backward kernel a layer`, async () => {
        const m = cnn(activation, useBias, strides, padding);
        const initial = seededWeights(m, 0.5, 20);
        const x = tf.randomNormal([5, 9, 11, 3], 0, 1, 'float32', 7);
        const { own, fused } = await ownThenFused(m, x, initial, 'MedkitConv2DBackward');
        expectClose([fused.value], [own.value], 1e-5);
        expectClose(fused.grads, own.grads, 1e-5);
        // last convolution first (dx, dw, db); the first's input is the data: no dx
        const [h1, w1] = padding === 'same' ? [9, 11] : [7, 9];
        const out2 =
          padding === 'same'
            ? [Math.ceil(h1 / strides), Math.ceil(w1 / strides)]
            : [Math.ceil((h1 - 2) / strides), Math.ceil((w1 - 1) / strides)];
        expect(fused.backward).toEqual([
          [[5, h1, w1, 8], [3, 2, 8, 12], ...(useBias ? [[12]] : [])],
          [[3, 3, 3, 8], ...(useBias ? [[8]] : [])],
        ]);
        expect(m.outputs[0]!.shape).toEqual([null, 2]);
        expect(m.layers[1]!.outputShape).toEqual([null, ...out2, 12]);
        for (const k of ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Add', 'Relu'])
          expect(fused.kernels).not.toContain(k);
        expect(fused.kernels.length).toBeLessThan(own.kernels.length);
        // restored: the layers' own call again
        const again = await gradients(m, x, initial, 'MedkitConv2DBackward');
        expect(again.kernels).not.toContain('MedkitConv2DForward');
        expect(m.layers.some((l) => Object.hasOwn(l, 'call'))).toBe(false);
        tf.dispose([x, ...initial]);
        m.dispose();
      });

  it(`${backend}: a batch with 32 channels into 64, as the seed CNN's second layer`, async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [14, 14, 32],
          filters: 64,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const initial = seededWeights(m, 0.1, 0);
    const x = tf.randomNormal([4, 14, 14, 32], 0, 1, 'float32', 8);
    const { own, fused } = await ownThenFused(m, x, initial, 'MedkitConv2DBackward');
    expectClose([fused.value], [own.value], 1e-5);
    expectClose(fused.grads, own.grads, 1e-5);
    expect(fused.backward).toEqual([[[3, 3, 32, 64], [64]]]);
    tf.dispose([x, ...initial]);
    m.dispose();
  });

  it(`${backend}: conv, ReLU and 2×2 pooling twice: tfjs-layers' own to rounding, each convolution and its pooling one call forward and one backward`, async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [12, 10, 1],
          filters: 8,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    const initial = seededWeights(m, 0.4, 40);
    const x = tf.randomNormal([6, 12, 10, 1], 0, 1, 'float32', 41);
    const own = await gradients(m, x, initial, 'MedkitConv2DBackward');
    const restore = fuseLayers([m]);
    // the ReLU gradients the kernels run inside them (callers of the registered kernel)
    const reluGrad = tf.getKernel('MedkitReluGrad', backend)!;
    let reluGrads = 0;
    tf.unregisterKernel('MedkitReluGrad', backend);
    tf.registerKernel({
      ...reluGrad,
      kernelFunc: (args) => {
        reluGrads++;
        return reluGrad.kernelFunc(args);
      },
    });
    const fused = await gradients(m, x, initial, 'MedkitConv2DBackward');
    tf.unregisterKernel('MedkitReluGrad', backend);
    tf.registerKernel(reluGrad);
    restore();
    expectClose([fused.value], [own.value], 1e-5);
    expectClose(fused.grads, own.grads, 1e-5);
    // each convolution with its pooling: one op forward (its kernel inside) and one kernel
    // backward; the ReLU gradients: none for the first pair on wasm (its filter and bias
    // gradients come straight from the pooling's), the 6×5 pooling's (its windows leave a
    // column) and cpu's after the pooling's gradient; each of the two gradient runs (profiled,
    // then read) counts
    expect(reluGrads).toBe(2 * (backend === 'wasm' ? 1 : 2));
    const count = (k: string) => fused.kernels.filter((n) => n === k).length;
    for (const k of ['MedkitConv2DPool', 'MedkitConv2DPoolForward', 'MedkitConv2DPoolBackward'])
      expect(count(k)).toBe(2);
    for (const k of ['MaxPoolGrad', 'MaxPool', 'MedkitMaxPool', 'MedkitConv2DBackward'])
      expect(count(k)).toBe(0);
    tf.dispose([x, ...initial]);
    m.dispose();
  });

  it(`${backend}: a ReLU output pooled and also used elsewhere: its gradient the sum of both, through the ReLU`, async () => {
    const input = tfl.input({ shape: [8, 8, 2] });
    const conv = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(input) as tfl.SymbolicTensor;
    const pooled = tfl.layers.flatten().apply(tfl.layers.maxPooling2d({ poolSize: 2 }).apply(conv));
    const direct = tfl.layers.flatten().apply(conv);
    const joined = tfl.layers.concatenate().apply([pooled, direct] as tfl.SymbolicTensor[]);
    const m = tfl.model({
      inputs: input,
      outputs: tfl.layers.dense({ units: 2 }).apply(joined) as tfl.SymbolicTensor,
    });
    const initial = seededWeights(m, 0.4, 50);
    const x = tf.randomNormal([3, 8, 8, 2], 0, 1, 'float32', 51);
    const { own, fused } = await ownThenFused(m, x, initial, 'MedkitConv2DBackward');
    expectClose([fused.value], [own.value], 1e-5);
    expectClose(fused.grads, own.grads, 1e-5);
    expect(fused.kernels).toContain('MedkitMaxPoolReluGrad');
    tf.dispose([x, ...initial]);
    m.dispose();
  });

  it(`${backend}: a convolution and its pooling in the middle of a network (its input gradient wanted), and with the tape recording a prediction (training false)`, async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [10, 10, 1],
          filters: 2,
          kernelSize: 3,
          padding: 'same',
          activation: 'tanh',
        }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const initial = seededWeights(m, 0.4, 80);
    const x = tf.randomNormal([5, 10, 10, 1], 0, 1, 'float32', 81);
    const own = await gradients(m, x, initial, 'MedkitConv2DPoolBackward');
    const restore = fuseLayers([m]);
    const fused = await gradients(m, x, initial, 'MedkitConv2DPoolBackward');
    // training false: tfjs-layers frees each layer's output once its one use has run
    const weights = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const predicted = await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(m.apply(x) as tf.Tensor)) as tf.Scalar,
        weights,
      );
      const out = weights.map((w) => Array.from(grads[w.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    });
    restore();
    expectClose([fused.value], [own.value], 1e-5);
    expectClose(fused.grads, own.grads, 1e-5);
    expectClose(predicted, own.grads, 1e-5);
    // the second convolution's dx (for the first), dw and db from one call
    expect(fused.backward).toEqual([[[5, 10, 10, 2], [3, 3, 2, 4], [4]]]);
    tf.dispose([x, ...initial]);
    m.dispose();
  });

  it(`${backend}: a convolution whose ReLU output the model also returns keeps its pooling apart`, async () => {
    const input = tfl.input({ shape: [8, 8, 1] });
    const conv = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(input) as tfl.SymbolicTensor;
    const pooled = tfl.layers.flatten().apply(tfl.layers.maxPooling2d({ poolSize: 2 }).apply(conv));
    const head = tfl.layers.dense({ units: 2 }).apply(pooled) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: [head, conv] });
    const initial = seededWeights(m, 0.4, 90);
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 91);
    const loss = () => {
      const [a, b] = m.apply(x, { training: true }) as tf.Tensor[];
      return tf.add(tf.sum(tf.square(a!)), tf.sum(b!)) as tf.Scalar;
    };
    const run = () => {
      const fresh = initial.map((t) => tf.mul(t, 1));
      m.setWeights(fresh);
      tf.dispose(fresh);
      const weights = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(loss, weights);
      const out = weights.map((w) => Array.from(grads[w.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const own = run();
    const restore = fuseLayers([m]);
    const profile = await tf.profile(() => {
      run();
    });
    const fused = run();
    restore();
    expectClose(fused, own, 1e-5);
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).not.toContain('MedkitConv2DPoolForward');
    expect(kernels).toContain('MedkitMaxPoolReluGrad');
    tf.dispose([x, ...initial]);
    m.dispose();
  });

  it(`${backend}: a convolution made to pool with its pooling but called alone: its output's gradient still reaches its weights`, async () => {
    const m = pooledCnn(1);
    const conv = m.layers[0]!;
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 95);
    const weights = conv.trainableWeights.map((w) => w.read() as tf.Variable);
    const grads = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(conv.apply(x) as tf.Tensor)) as tf.Scalar,
        weights,
      );
      const out = weights.map((w) => Array.from(grads[w.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const own = grads();
    const restore = fuseLayers([m]);
    const fused = grads();
    const profile = await tf.profile(() => {
      grads();
    });
    restore();
    expectClose(fused, own, 1e-5);
    expect(fused[0]!.some((v) => v !== 0)).toBe(true);
    // the convolution and its pooling in one op, y's own op's gradient run for y's other use
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain('MedkitConv2DPoolForward');
    expect(kernels).toContain('MedkitConv2DBackward');
    expect(kernels).not.toContain('MedkitConv2DPoolBackward');
    tf.dispose(x);
    m.dispose();
  });

  for (const [h, w, c] of [
    [8, 6, 8], // the SIMD rows on wasm
    [9, 7, 8], // windows not tiling the input: the two kernels one after the other
    [6, 4, 6], // channels not a multiple of 4
  ] as const)
    it(`${backend}: MedkitMaxPoolReluGrad on ${h}×${w}×${c} is MaxPoolGrad then MedkitReluGrad, bit for bit (NaN, ±0, ties)`, () => {
      const shape = [3, h, w, c];
      const input = tf.tidy(() => {
        const v = tf.relu(tf.randomNormal(shape, 0, 1, 'float32', 61)).bufferSync();
        v.values[0] = Number.NaN;
        v.values[c + 1] = -0;
        v.values[5 * c] = 0;
        for (let i = 0; i < c; i++) v.values[w * c + i] = v.values[i + c]!; // ties
        return v.toTensor() as tf.Tensor4D;
      });
      const output = tf.maxPool(input, 2, 2, 'valid');
      const dy = tf.randomNormal(output.shape, 0, 1, 'float32', 62);
      const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
      const got = tf
        .engine()
        .runKernel('MedkitMaxPoolReluGrad', { dy, input, output }, attrs) as tf.Tensor;
      const expected = tf.tidy(() =>
        tf.engine().runKernel('MedkitReluGrad', {
          dy: tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, attrs) as tf.Tensor,
          x: input,
        }),
      ) as tf.Tensor;
      const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));
      expect(bits(got)).toEqual(bits(expected));
      expect(got.dataSync().some(Number.isNaN)).toBe(true);
      tf.dispose([input, output, dy, got, expected]);
    });

  it(`${backend}: dilated convolutions and other activations keep their own call`, () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, dilationRate: 2 }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'softmax' }),
      ],
    });
    const restore = fuseLayers([m]);
    expect(m.layers.some((l) => Object.hasOwn(l, 'call'))).toBe(false);
    restore();
    m.dispose();
  });

  it(`${backend}: example i's slice of the input gradient is its own`, () => {
    const w = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomNormal([4], 0, 1, 'float32', 2) as tf.Tensor1D;
    const x = tf.randomNormal([3, 6, 5, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const x2 = tf.tidy(() =>
      tf.concat([tf.slice(x, [0, 0, 0, 0], [2, 6, 5, 2]), tf.fill([1, 6, 5, 2], 0.5)]),
    );
    const geometry = { strides: [1, 1] as [number, number], pad: 'same' as const };
    const dx = (input: tf.Tensor) =>
      tf.grad((v: tf.Tensor) =>
        tf.sum(tf.square(conv2dOp(v as tf.Tensor4D, w, b, geometry, 'tanh'))),
      )(input);
    const [a, c] = [dx(x), dx(x2)];
    const [ra, rc] = [a.arraySync() as number[][][][], c.arraySync() as number[][][][]];
    expect(rc.slice(0, 2)).toEqual(ra.slice(0, 2));
    expect(rc[2]).not.toEqual(ra[2]);
    tf.dispose([w, b, x, x2, a, c]);
  });

  it(`${backend}: no tensor left behind, forward and backward (pooling a ReLU output too)`, async () => {
    await expectFusedNoLeak(
      cnn('sigmoid', true, 2, 'same'),
      tf.randomNormal([2, 9, 11, 3], 0, 1, 'float32', 5),
    );
    await expectFusedNoLeak(pooledCnn(4), tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 6));
  });
});

describeBackends('withFusedLayers', (backend) => {
  it(`${backend}: a loop of one's own trains as the layers' own calls do (to rounding), with the fused kernels, and the calls come back`, async () => {
    const x = tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 71);
    const y = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 2),
      'int32',
    );
    const loss = createLoss('sparseSoftmaxCrossEntropy');
    const train = (m: tfl.Sequential) => {
      const optimizer = fusedAdam(1e-2);
      for (let step = 0; step < 5; step++)
        tf.dispose(
          optimizer.minimize(
            () => loss(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
          ) ?? [],
        );
      optimizer.dispose();
      return m.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const [own, fused] = [pooledCnn(1), pooledCnn(1)];
    const ownWeights = train(own);
    let kernels: string[] = [];
    const fusedWeights = await withFusedLayers(fused, async () => {
      const profile = await tf.profile(() => {
        tf.dispose(fused.apply(x, { training: true }) as tf.Tensor);
      });
      kernels = profile.kernels.map((k) => k.name);
      return train(fused);
    });
    expect(kernels).toEqual(
      expect.arrayContaining(['MedkitConv2DForward', 'MedkitMaxPool', 'MedkitDenseForward']),
    );
    expectClose(fusedWeights, ownWeights, 1e-4);
    expect(fused.layers.some((l) => Object.hasOwn(l, 'call'))).toBe(false);
    tf.dispose([x, y]);
    own.dispose();
    fused.dispose();
  });

  it(`${backend}: returns fn's result; restores the layers' calls when fn throws`, () => {
    const m = pooledCnn(1);
    expect(withFusedLayers([m], () => 7)).toBe(7);
    expect(() =>
      withFusedLayers(m, () => {
        expect(Object.hasOwn(m.layers[0]!, 'call')).toBe(true);
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(m.layers.some((l) => Object.hasOwn(l, 'call'))).toBe(false);
    m.dispose();
  });

  it(`${backend}: refuses what is not a model or not a function`, () => {
    const m = pooledCnn(1);
    for (const models of [[], {}, [m, 3], null])
      expect(() => withFusedLayers(models as never, () => 0)).toThrow(ArgumentError);
    expect(() => withFusedLayers(m, 5 as never)).toThrow(/`fn` must be a function/);
    m.dispose();
  });
});
