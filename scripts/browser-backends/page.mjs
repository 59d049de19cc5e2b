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
import * as tfl from '@tensorflow/tfjs-layers';
import {
  checkTrainingSupport,
  registerSecondOrderGradients,
  registerTrainingKernels,
} from 'tfjs-medkit';
import {
  ADVERSARIAL_LOSS_KINDS,
  createDcgan,
  createMlpGan,
  GanTrainer,
} from 'tfjs-medkit/generative';
import { LogisticRegression } from 'tfjs-medkit/genomics';
import {
  sigmoidCrossEntropy,
  sigmoidFocalLoss,
  softmaxCrossEntropy,
  softmaxFocalLoss,
  sparseSoftmaxCrossEntropy,
} from 'tfjs-medkit/losses';
import { brierScore, confusionMatrix, rocAuc } from 'tfjs-medkit/metrics';
import {
  createDenseNet,
  createResNet,
  createSimpleCnn,
  gradCam,
  occlusionSensitivity,
  readDicom,
  readImage,
  readNifti,
  saliencyMap,
} from 'tfjs-medkit/vision';
import { resnet18Workload, values } from '../bundlers/workloads.js';

setWasmPaths('/files/');
// before any backend is set, and again on each (it must be callable both ways, more than once)
registerTrainingKernels();
registerSecondOrderGradients(); // the gradient penalties differentiate a gradient

const fileBytes = async (name) =>
  new Uint8Array(await (await fetch(`/files/${name}`)).arrayBuffer());

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
  /** Sigmoid focal loss and its gradient, from confident mistakes to near-ties. */
  focal: async () => {
    const logits = tf.tensor2d([40, -40, 0, 3, -3, 1e-3, 12, -0.5], [4, 2]);
    const labels = tf.tensor2d([0, 1, 1, 1, 0, 0, 1, 0], [4, 2]);
    const out = tf.tidy(() => ({
      loss: sigmoidFocalLoss(labels, logits, { reduction: 'none' }),
      grad: tf.grad((l) => sigmoidFocalLoss(labels, l))(logits),
    }));
    tf.dispose([logits, labels]);
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

Object.assign(WORKLOADS, {
  /** ResNet-18 (narrow, for small crops) trained by the library's trainer for two epochs, then Grad-CAM. */
  resnet18: resnet18Workload,
  /** Occlusion sensitivity of a small CNN. */
  occlusion: async () => {
    const model = createSimpleCnn({
      inputShape: [16, 16, 1],
      numClasses: 2,
      filters: [4],
      denseUnits: 0,
      seed: 4,
    });
    const image = tf.tensor3d(values(256, 0.41), [16, 16, 1]);
    const map = await occlusionSensitivity(model, image, {
      patchSize: 4,
      stride: 4,
      classIndex: 0,
    });
    image.dispose();
    model.dispose();
    return { map };
  },
  /** Depthwise and dilated convolutions (layers no factory covers alone) and a DenseNet: forward and SGD steps. */
  convKinds: async () => {
    const input = tfl.input({ shape: [12, 12, 2] });
    let h = tfl.layers
      .depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'same',
        depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      })
      .apply(input);
    h = tfl.layers
      .conv2d({
        filters: 4,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      })
      .apply(h);
    h = tfl.layers.globalAveragePooling2d({}).apply(h);
    const output = tfl.layers
      .dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) })
      .apply(h);
    const custom = tfl.model({ inputs: input, outputs: output });
    const dense = createDenseNet({
      inputShape: [16, 16, 1],
      numClasses: 2,
      seed: 6,
      growthRate: 4,
      blocks: [2, 2],
      stem: 'small',
    });
    const x1 = tf.tensor4d(values(3 * 288, 0.19), [3, 12, 12, 2]);
    const x2 = tf.tensor4d(values(2 * 256, 0.61), [2, 16, 16, 1]);
    sgdSteps(custom, x1, [0, 1, 2], 2);
    sgdSteps(dense, x2, [1, 0], 2);
    const out = tf.tidy(() => ({ custom: custom.predict(x1), dense: dense.predict(x2) }));
    tf.dispose([x1, x2]);
    custom.dispose();
    dense.dispose();
    return out;
  },
  /** The GAN trainer: every adversarial loss, then WGAN-GP and R1 penalties. */
  gan: async () => {
    const real = tf.tensor2d(values(32 * 4, 0.77), [32, 4]);
    const runs = [
      ...ADVERSARIAL_LOSS_KINDS.map((loss) => ({ loss })),
      { loss: 'wasserstein', gradientPenaltyWeight: 10 },
      { loss: 'non-saturating', r1Weight: 1 },
    ];
    const out = {};
    for (const opts of runs) {
      const models = createMlpGan({
        dataShape: [4],
        latentDim: 3,
        hidden: [8],
        dropout: 0,
        seed: 9,
      });
      const trainer = new GanTrainer({ ...models, ...opts, learningRate: 1e-3, seed: 11 });
      const { history } = await trainer.fit({ x: real }, { epochs: 2, batchSize: 16 });
      const key = `${opts.loss}${opts.gradientPenaltyWeight ? '+gp' : ''}${opts.r1Weight ? '+r1' : ''}`;
      out[`${key}.d`] = history.discriminatorLoss;
      out[`${key}.g`] = history.generatorLoss;
      trainer.dispose();
      models.generator.dispose();
      models.discriminator.dispose();
    }
    real.dispose();
    // a DCGAN (transposed convolutions, batch normalisation) on 16×16 images, WGAN-GP
    const images = tf.tensor4d(values(16 * 256, 0.37, 0.9), [16, 16, 16, 1]);
    const dc = createDcgan({ imageSize: 16, latentDim: 8, baseFilters: 4, seed: 12 });
    const trainer = new GanTrainer({
      ...dc,
      loss: 'wasserstein',
      gradientPenaltyWeight: 10,
      learningRate: 1e-3,
      seed: 13,
    });
    const { history } = await trainer.fit({ x: images }, { epochs: 1, batchSize: 8 });
    out['dcgan.d'] = history.discriminatorLoss;
    out['dcgan.g'] = history.generatorLoss;
    trainer.dispose();
    dc.generator.dispose();
    dc.discriminator.dispose();
    images.dispose();
    return out;
  },
  /** L1 logistic regression, products on the host (double precision) and on the backend. */
  logistic: async (backend) => {
    const n = 80;
    const X = Array.from({ length: n }, (_, i) =>
      Array.from({ length: 5 }, (_, j) => Math.sin(i * (j + 1) * 0.37 + j)),
    );
    const y = X.map((r, i) => (r[0] - 0.5 * r[2] + 0.3 * Math.cos(i * 1.7) > 0 ? 1 : 0));
    const out = {};
    for (const products of ['host', 'backend']) {
      let model = new LogisticRegression({ penalty: 'l1', C: 0.5, products });
      if (backend === 'webgpu' && products === 'backend') {
        // the solver's synchronous read-back is unreliable there: refused, and 'auto' uses the host
        const refused = await model.fit(X, y).then(
          () => false,
          (e) => e.name === 'BackendError',
        );
        if (!refused) throw new Error("products: 'backend' was not refused on webgpu");
        model = new LogisticRegression({ penalty: 'l1', C: 0.5, products: 'auto' });
      }
      await model.fit(X, y);
      out[products] = [...model.coef[0], ...model.intercept];
    }
    return out;
  },
  /** Metrics on tensors: AUC, Brier score, confusion matrix. */
  metrics: async () => {
    const labels = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      'int32',
    );
    const scores = tf.tensor1d(
      values(40, 0.83, 0.4).map((v, i) => v + ((i * 7) % 3 === 0 ? 0.2 : 0) + 0.4),
    );
    const predicted = tf.tidy(() => tf.cast(tf.greater(scores, 0.5), 'int32'));
    const out = {
      auc: [await rocAuc(labels, scores)],
      brier: [await brierScore(labels, scores)],
      confusion: (await confusionMatrix(labels, predicted)).flat(),
    };
    tf.dispose([labels, scores, predicted]);
    return out;
  },
  /** The readers: DICOM (uncompressed), NIfTI (gzip), PNG, each to a tensor on this backend. */
  readers: async () => ({
    dicom: (await readDicom(await fileBytes('MR_small.dcm'))).image,
    nifti: (await readNifti(await fileBytes('volume.nii.gz'))).volume,
    png: (await readImage(await fileBytes('rgba8.png'))).image,
  }),
});

/**
 * Runs every workload on `name` (a backend, or `webgl-f16`: webgl made to render to float16
 * textures, as on a device without float32 ones); numbers as plain arrays, and the tensors each
 * left behind.
 */
window.runWorkloads = async (name) => {
  const backend = name === 'webgl-f16' ? 'webgl' : name;
  if (name === 'webgl-f16') tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
  if (!(await tf.setBackend(backend).catch(() => false))) return { unavailable: true };
  await tf.ready();
  registerTrainingKernels();
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
      createDenseNet({
        inputShape: [16, 16, 1],
        numClasses: 2,
        blocks: [2],
        growthRate: 4,
        seed: 1,
      }),
      ...Object.values(createDcgan({ imageSize: 16, latentDim: 8, baseFilters: 4, seed: 1 })),
      ...Object.values(createMlpGan({ dataShape: [4], latentDim: 3, hidden: [8], seed: 1 })),
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
      tf.dispose(Object.values(await workload(backend)).filter((t) => !Array.isArray(t)));
      start = tf.memory().numTensors;
      const out = await workload(backend);
      results[name] = {};
      for (const [k, t] of Object.entries(out)) {
        results[name][k] = Array.isArray(t) ? t : Array.from(await t.data());
        if (!Array.isArray(t)) t.dispose();
      }
    } catch (e) {
      results[name] = { error: String(e?.message ?? e) };
    }
    leaks[name] = tf.memory().numTensors - start;
  }
  return {
    backend: tf.getBackend(),
    precision: tf.backend().floatPrecision(),
    support,
    results,
    leaks,
  };
};
window.pageReady = true;
