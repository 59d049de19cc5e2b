/**
 * The page side of scripts/browser-backends.mjs: the library's workloads, run on one backend at
 * a time from the same deterministic inputs; each returns its numbers (for comparison with cpu)
 * and the tensors its second run left behind (the first warms tfjs-layers' caches).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { checkTrainingSupport, registerTrainingKernels } from 'tfjs-medkit';
import {
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  softmaxFocalLoss,
  sparseSoftmaxCrossEntropy,
} from 'tfjs-medkit/losses';
import { createResNet, createSimpleCnn, gradCam, saliencyMap } from 'tfjs-medkit/vision';

setWasmPaths('/files/');

/** Deterministic values in [-scale, scale]. */
const values = (n, k, scale = 1) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * scale);

/** A few plain SGD steps on the model's logits (no dropout draws, so every backend takes the same path). */
function sgdSteps(model, x, labels, steps) {
  const optimizer = tf.train.sgd(0.05);
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() =>
      sparseSoftmaxCrossEntropy(labels, model.apply(x, { training: false })),
    );
  }
  optimizer.dispose();
}

const WORKLOADS = {
  /** The kernels under a CNN's gradient, one at a time: convolution, ReLU, max pooling. */
  kernels: async () => {
    const x = tf.tensor4d(values(2 * 8 * 8 * 3, 0.71), [2, 8, 8, 3]);
    const w = tf.tensor4d(values(3 * 3 * 3 * 4, 1.3, 0.5), [3, 3, 3, 4]);
    const u = tf.tensor4d(values(2 * 4 * 4 * 3, 0.53), [2, 4, 4, 3]);
    const b = tf.tensor1d(values(4, 0.9, 0.2));
    const m = tf.tensor2d(values(192 * 5, 0.17, 0.3), [192, 5]);
    const out = tf.tidy(() => ({
      conv: tf.conv2d(x, w, 1, 'same'),
      gradConv: tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same'))))([x, w])[0],
      gradRelu: tf.grad((a) => tf.sum(tf.mul(tf.relu(a), x)))(x),
      fusedConv: tf.fused.conv2d({
        x,
        filter: w,
        strides: 1,
        pad: 'same',
        bias: b,
        activation: 'relu',
      }),
      gradFusedConv: tf.grads((a, f) =>
        tf.sum(
          tf.square(
            tf.fused.conv2d({
              x: a,
              filter: f,
              strides: 1,
              pad: 'same',
              bias: b,
              activation: 'relu',
            }),
          ),
        ),
      )([x, w])[1],
      gradFusedMatMul: tf.grad((a) =>
        tf.sum(tf.square(tf.fused.matMul({ a, b: m, bias: tf.ones([5]), activation: 'relu' }))),
      )(tf.reshape(x, [2, 192])),
      maxPool: tf.maxPool(x, 2, 2, 'valid'),
      gradMaxPool: tf.grad((a) => tf.sum(tf.mul(tf.maxPool(a, 2, 2, 'valid'), u)))(x),
    }));
    tf.dispose([x, w, u, b, m]);
    return out;
  },
  /** The cross-entropy family and its gradients, logits of ±60 included. */
  losses: async () => {
    const logits = tf.tensor2d([60, -60, 0, -30, 30, 1e-3, 0, 0, 0, 5, -2, 0.5], [4, 3]);
    const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3));
    const binary = tf.tensor2d([1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0], [4, 3]);
    const out = tf.tidy(() => ({
      sigmoid: sigmoidCrossEntropy(binary, logits, { reduction: 'none' }),
      softmax: softmaxCrossEntropy(onehot, logits, { reduction: 'none', labelSmoothing: 0.1 }),
      sparse: sparseSoftmaxCrossEntropy([0, 1, 2, 0], logits, { reduction: 'none' }),
      focal: softmaxFocalLoss(onehot, logits, { reduction: 'none' }),
      gradSoftmax: tf.grad((l) => softmaxCrossEntropy(onehot, l))(logits),
      gradSigmoid: tf.grad((l) => sigmoidCrossEntropy(binary, l))(logits),
      gradFocal: tf.grad((l) => softmaxFocalLoss(onehot, l))(logits),
    }));
    tf.dispose([logits, onehot, binary]);
    return out;
  },
  /** A 2-D CNN: forward pass, three SGD steps, the weights after, Grad-CAM and saliency. */
  cnn2d: async () => {
    const model = createSimpleCnn({
      inputShape: [16, 16, 1],
      numClasses: 3,
      filters: [4, 8],
      denseUnits: 8,
      seed: 1,
    });
    const x = tf.tensor4d(values(4 * 16 * 16, 0.37), [4, 16, 16, 1]);
    const before = tf.tidy(() => model.predict(x));
    sgdSteps(model, x, [0, 1, 2, 1], 3);
    const after = tf.tidy(() => model.predict(x));
    const image = tf.tidy(() => tf.squeeze(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]), [0]));
    const cam = await gradCam(model, image, { classIndex: 1 });
    const saliency = await saliencyMap(model, image, { classIndex: 1 });
    const out = {
      before,
      after,
      cam,
      saliency,
      weights: tf.tidy(() => tf.concat(model.getWeights().map((w) => tf.reshape(w, [-1])))),
    };
    tf.dispose([x, image]);
    model.dispose();
    return out;
  },
  /** A small ResNet (batch normalisation in inference): forward pass and two SGD steps. */
  resnet: async () => {
    const model = createResNet({
      inputShape: [16, 16, 3],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
      stem: 'small',
      seed: 2,
    });
    const x = tf.tensor4d(values(2 * 16 * 16 * 3, 0.11), [2, 16, 16, 3]);
    const before = tf.tidy(() => model.predict(x));
    sgdSteps(model, x, [0, 1], 2);
    const after = tf.tidy(() => model.predict(x));
    x.dispose();
    model.dispose();
    return { before, after };
  },
  /** A 3-D CNN on a volume: forward pass and two SGD steps. */
  cnn3d: async () => {
    const model = createSimpleCnn({
      inputShape: [8, 8, 8, 1],
      numClasses: 2,
      filters: [4],
      denseUnits: 8,
      seed: 3,
    });
    const x = tf.tensor5d(values(2 * 512, 0.23), [2, 8, 8, 8, 1]);
    const before = tf.tidy(() => model.predict(x));
    sgdSteps(model, x, [1, 0], 2);
    const after = tf.tidy(() => model.predict(x));
    x.dispose();
    model.dispose();
    return { before, after };
  },
};

/** Runs every workload on `backend`; numbers as plain arrays, and the tensors each left behind. */
window.runWorkloads = async (backend) => {
  if (!(await tf.setBackend(backend).catch(() => false))) return { unavailable: true };
  await tf.ready();
  if (backend === 'cpu' || backend === 'wasm') registerTrainingKernels();
  // every model factory's training needs, checked on this backend (throws naming what is missing)
  let support = 'ok';
  try {
    for (const m of [
      createSimpleCnn({ inputShape: [16, 16, 1], numClasses: 2, seed: 1 }),
      createSimpleCnn({ inputShape: [8, 8, 8, 1], numClasses: 2, filters: [4], seed: 1 }),
      createResNet({
        inputShape: [16, 16, 3],
        numClasses: 2,
        stages: [1, 1],
        baseFilters: 4,
        stem: 'small',
        seed: 1,
      }),
    ]) {
      checkTrainingSupport(m, backend);
      m.dispose();
    }
  } catch (e) {
    support = String(e?.message ?? e);
  }
  const results = {};
  const leaks = {};
  for (const [name, workload] of Object.entries(WORKLOADS)) {
    let start = 0;
    try {
      // a warm-up run first: tfjs-layers keeps a cache of scalar constants it made once
      tf.dispose(Object.values(await workload()));
      start = tf.memory().numTensors;
      const out = await workload();
      results[name] = {};
      for (const [k, t] of Object.entries(out)) {
        results[name][k] = Array.from(await t.data());
        t.dispose();
      }
    } catch (e) {
      results[name] = { error: String(e?.message ?? e) };
    }
    leaks[name] = tf.memory().numTensors - start;
  }
  return { backend: tf.getBackend(), support, results, leaks };
};
window.pageReady = true;
