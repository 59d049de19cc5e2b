/**
 * DP-SGD (Abadi et al. 2016) in the training loop: each example's gradient clipped to an L2 norm
 * of at most C over all trainable weights together, the clipped gradients summed, Gaussian noise
 * of standard deviation σ·C added to each coordinate (seeded), the sum divided by the expected
 * batch size. Batches are Poisson-sampled by default (each example joins each step with
 * probability q = batchSize / n), the sampling the accountant assumes.
 *
 * Per-example gradients are exact. Dense layers (on [batch, features] inputs) and 2D convolutions
 * take the fast path: one forward and backward pass records each layer's input a and the
 * gradient δ of the summed loss with respect to its pre-activation output (a zero "probe" added
 * there; since examples do not mix, row i of δ is example i's own), from which
 *   Dense:   ∂W_i = a_iᵀ δ_i, so ‖∂W_i‖² = ‖a_i‖²·‖δ_i‖² (the "ghost norm"), ∂b_i = δ_i;
 *   Conv2D:  ∂W_i[tap] = δ_iᵀ X_i[tap] with X_i[tap] example i's inputs under the tap, one
 *            batched product a tap;
 * and the clipped sums are Σ c_i ∂W_i = aᵀ(c ⊙ δ) (Dense) and Σ c_i ∂W_i (Conv2D), with
 * c_i = min(1, C / ‖g_i‖). Any other trainable layer sends the whole step to the fallback, a loop
 * over single examples.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { flatLayers } from '../core/model-layers.js';
import type { Random } from '../core/random.js';
import { resolveOptions } from '../core/validate.js';
import { dpEpsilon, noiseMultiplierFor } from '../privacy/accountant.js';
import { isFrozenBatchNorm } from './freeze.js';

/** Options of differentially private training (`trainClassifier`'s `privacy`). */
export interface PrivacyOptions {
  /** C: the L2 norm each example's gradient is clipped to, over all trainable weights. Required. */
  maxGradNorm: number;
  /** σ: the noise's standard deviation over C. Give it or `targetEpsilon`. */
  noiseMultiplier?: number;
  /** The ε the whole run may spend: σ is then the smallest that keeps to it (`noiseMultiplierFor`). */
  targetEpsilon?: number;
  /** δ. Defaults to 1/n^1.1 (below 1/n) for n training examples. */
  delta?: number;
  /**
   * `'poisson'` (the default, as Opacus: each example joins each step with probability
   * batchSize/n; an epoch is n/batchSize steps; an empty batch still takes a noise-only step) or
   * `'shuffle'` (fixed batches; its ε is the Poisson analysis, an approximation).
   */
  sampling?: 'poisson' | 'shuffle';
  /** Accept δ ≥ 1/n, which lets a mechanism publish one example outright. Defaults to false. */
  allowLargeDelta?: boolean;
}

/** The differential-privacy guarantee of a run trained with `privacy`. */
export interface PrivacyReport {
  /** ε spent over the steps taken. */
  epsilon: number;
  /** δ. */
  delta: number;
  /** σ used (given, or calibrated from `targetEpsilon`). */
  noiseMultiplier: number;
  /** q = batchSize / n. */
  sampleRate: number;
  /** Steps taken. */
  steps: number;
  /** `'poisson'`, or `'shuffle'` (whose ε is the Poisson analysis, an approximation). */
  sampling: 'poisson' | 'shuffle';
}

/** A run's privacy plan, resolved before the first step. @internal */
export interface PrivacyPlan {
  maxGradNorm: number;
  noiseMultiplier: number;
  delta: number;
  sampling: 'poisson' | 'shuffle';
  /** q = batchSize / n. */
  sampleRate: number;
  /** The divisor of the noisy sum: the expected batch size. */
  expectedBatch: number;
  /** Steps in one epoch. */
  stepsPerEpoch: number;
}

/** The report of a run that took `steps` steps under `plan`. @internal */
export function privacyReport(plan: PrivacyPlan, steps: number): PrivacyReport {
  return {
    epsilon: epsilonSpent(plan, steps),
    delta: plan.delta,
    noiseMultiplier: plan.noiseMultiplier,
    sampleRate: plan.sampleRate,
    steps,
    sampling: plan.sampling,
  };
}

/** What the run has spent after `steps` steps. @internal */
export function epsilonSpent(plan: PrivacyPlan, steps: number): number {
  return dpEpsilon({
    sampleRate: plan.sampleRate,
    noiseMultiplier: plan.noiseMultiplier,
    steps,
    delta: plan.delta,
  }).epsilon;
}

/**
 * Checks `privacy` and works out σ, δ, q and the steps; `usesPerStep` is how many times one
 * training step samples the data (a GAN's critic steps).
 *
 * @internal
 */
export function planPrivacy(
  fn: string,
  options: PrivacyOptions,
  n: number,
  batchSize: number,
  epochs: number,
  usesPerStep = 1,
): PrivacyPlan {
  const o = resolveOptions(`${fn}: privacy`, options, {
    maxGradNorm: { constraint: { kind: 'number', min: 0, minExclusive: true } },
    noiseMultiplier: { constraint: { kind: 'number', min: 0 } },
    targetEpsilon: { constraint: { kind: 'number', min: 0, minExclusive: true } },
    delta: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
    },
    sampling: { constraint: { kind: 'string', oneOf: ['poisson', 'shuffle'] }, default: 'poisson' },
    allowLargeDelta: { constraint: { kind: 'boolean' }, default: false },
  });
  if (o.maxGradNorm === undefined) {
    throw new ArgumentError(
      `${fn}: \`privacy.maxGradNorm\` is required (the clipping norm C > 0).`,
    );
  }
  if ((o.noiseMultiplier === undefined) === (o.targetEpsilon === undefined)) {
    throw new ArgumentError(
      `${fn}: \`privacy\` needs exactly one of \`noiseMultiplier\` and \`targetEpsilon\`. Received: ${describeValue(options)}.`,
    );
  }
  if (batchSize > n) {
    throw new ArgumentError(
      `${fn}: with \`privacy\`, \`batchSize\` (${batchSize}) must not exceed the training examples (${n}).`,
    );
  }
  const delta = o.delta ?? 1 / n ** 1.1;
  if (delta >= 1 / n && !o.allowLargeDelta) {
    throw new ArgumentError(
      `${fn}: \`privacy.delta\` (${delta}) is at least 1/n (n = ${n}): a mechanism that publishes one example outright meets it. Lower it (the default is 1/n^1.1) or set \`allowLargeDelta: true\`.`,
    );
  }
  const sampleRate = batchSize / n;
  const stepsPerEpoch =
    o.sampling === 'poisson' ? Math.max(1, Math.round(n / batchSize)) : Math.ceil(n / batchSize);
  const noiseMultiplier =
    o.noiseMultiplier ??
    noiseMultiplierFor({
      sampleRate,
      steps: epochs * stepsPerEpoch * usesPerStep,
      targetEpsilon: o.targetEpsilon!,
      delta,
    });
  return {
    maxGradNorm: o.maxGradNorm,
    noiseMultiplier,
    delta,
    sampling: o.sampling,
    sampleRate,
    expectedBatch: batchSize,
    stepsPerEpoch,
  };
}

/**
 * The indices of one epoch's Poisson-sampled batches: each example joins each step with
 * probability q, drawn from `rng` (a batch may be empty).
 *
 * @internal
 */
export function* poissonBatches(
  n: number,
  q: number,
  steps: number,
  rng: Random,
): Generator<Int32Array> {
  const picked: number[] = [];
  for (let s = 0; s < steps; s++) {
    picked.length = 0;
    for (let i = 0; i < n; i++) if (rng.nextFloat() < q) picked.push(i);
    yield Int32Array.from(picked);
  }
}

/** A layer the fast path covers, with its weights' variables. */
interface CoveredLayer {
  kind: 'dense' | 'conv2d';
  layer: tfl.layers.Layer;
  kernel: tf.Variable;
  bias?: tf.Variable;
  activation: ((x: tf.Tensor) => tf.Tensor) | undefined;
  /** The per-sample shape of the pre-activation output. */
  outShape: number[];
  conv?: {
    kernelSize: [number, number];
    strides: [number, number];
    dilation: [number, number];
    padding: 'same' | 'valid';
  };
}

/** How a model's per-example gradients are computed. @internal */
export interface PerExamplePlan {
  /** The fast path's layers, or undefined for the loop over examples. */
  covered?: CoveredLayer[];
}

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

/**
 * Refuses what DP-SGD cannot train privately (batch normalisation mixes the examples of a batch)
 * and chooses the per-example gradient path.
 *
 * @internal
 */
export function planPerExample(fn: string, model: tfl.LayersModel): PerExamplePlan {
  const layers = flatLayers(model);
  for (const l of layers) {
    if (l.getClassName() === 'BatchNormalization' && !isFrozenBatchNorm(l)) {
      throw new ArgumentError(
        `${fn}: layer '${l.name}' is batch normalisation, which in training mixes the examples of a batch, so no example's gradient is its own and the privacy guarantee would not hold. Freeze it (freeze(model, …): a frozen pretrained batch norm runs in inference mode) or train a network without it (createSimpleCnn, or group or layer normalisation).`,
      );
    }
  }
  const covered: CoveredLayer[] = [];
  let all = true;
  for (const l of layers) {
    const weights = l.trainableWeights;
    if (weights.length === 0) continue;
    const config = l.getConfig() as Record<string, unknown>;
    const cls = l.getClassName();
    const once = (l as unknown as { inboundNodes: unknown[] }).inboundNodes.length === 1;
    const out = l.outputShape as (number | null)[];
    const act = (l as unknown as { activation?: { apply(x: tf.Tensor): tf.Tensor } | null })
      .activation;
    const activation = act ? (x: tf.Tensor) => act.apply(x) : undefined;
    const kernel = (l as unknown as { kernel?: { read(): tf.Tensor } }).kernel?.read() as
      | tf.Variable
      | undefined;
    const bias = (l as unknown as { bias?: { read(): tf.Tensor } | null }).bias?.read() as
      | tf.Variable
      | undefined;
    const expected = 1 + (bias ? 1 : 0);
    if (!once || !kernel || weights.length !== expected || !Array.isArray(out)) {
      all = false;
      continue;
    }
    if (cls === 'Dense' && out.length === 2 && (l.input as tfl.SymbolicTensor).shape.length === 2) {
      covered.push({
        kind: 'dense',
        layer: l,
        kernel,
        ...(bias ? { bias } : {}),
        activation,
        outShape: [out[1]!],
      });
    } else if (
      cls === 'Conv2D' &&
      out.length === 4 &&
      (config.dataFormat ?? 'channelsLast') === 'channelsLast' &&
      (config.padding === 'same' || config.padding === 'valid')
    ) {
      covered.push({
        kind: 'conv2d',
        layer: l,
        kernel,
        ...(bias ? { bias } : {}),
        activation,
        outShape: out.slice(1) as number[],
        conv: {
          kernelSize: pair(config.kernelSize),
          strides: pair(config.strides),
          dilation: pair(config.dilationRate),
          padding: config.padding as 'same' | 'valid',
        },
      });
    } else {
      all = false;
    }
  }
  return all ? { covered } : {};
}

/**
 * The input windows of a convolution, one tensor a tap: for tap (i, j), the input values that
 * meet it at each output position, [B, oh·ow, C] (row-major taps, as the kernel's layout).
 */
function tapInputs(
  x: tf.Tensor4D,
  c: NonNullable<CoveredLayer['conv']>,
  outHW: [number, number],
): tf.Tensor3D[] {
  const [B, H, W, C] = x.shape;
  const [kh, kw] = c.kernelSize;
  const [sh, sw] = c.strides;
  const [dh, dw] = c.dilation;
  const [oh, ow] = outHW;
  let padded: tf.Tensor4D = x;
  if (c.padding === 'same') {
    const padH = Math.max((oh - 1) * sh + (kh - 1) * dh + 1 - H, 0);
    const padW = Math.max((ow - 1) * sw + (kw - 1) * dw + 1 - W, 0);
    const top = Math.floor(padH / 2);
    const left = Math.floor(padW / 2);
    padded = tf.pad(x, [
      [0, 0],
      [top, padH - top],
      [left, padW - left],
      [0, 0],
    ]);
  }
  const taps: tf.Tensor3D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const window =
        sh === 1 && sw === 1
          ? tf.slice(padded, [0, i * dh, j * dw, 0], [B, oh, ow, C])
          : tf.stridedSlice(
              padded,
              [0, i * dh, j * dw, 0],
              [B, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, C],
              [1, sh, sw, 1],
            );
      taps.push(tf.reshape(window, [B, oh * ow, C]));
    }
  }
  return taps;
}

/** The layer's forward pass with `probe` added to its pre-activation output. */
function probedCall(cov: CoveredLayer, input: tf.Tensor, probe: tf.Tensor): tf.Tensor {
  let z: tf.Tensor;
  if (cov.kind === 'dense') {
    z = tf.matMul(input as tf.Tensor2D, cov.kernel as tf.Tensor2D);
  } else {
    const c = cov.conv!;
    z = tf.conv2d(
      input as tf.Tensor4D,
      cov.kernel as tf.Tensor4D,
      c.strides,
      c.padding,
      'NHWC',
      c.dilation,
    );
  }
  if (cov.bias) z = tf.add(z, cov.bias);
  z = tf.add(z, probe);
  return cov.activation ? cov.activation(z) : z;
}

/**
 * The per-example loss of a private step: `perExample` maps the model's output for a batch to
 * one loss per example; `correct`, when given, counts the batch's right predictions (a scalar).
 *
 * @internal
 */
export interface PerExampleLoss {
  perExample: (output: tf.Tensor, rows: { start: number; size: number }) => tf.Tensor;
  correct?: (output: tf.Tensor, rows: { start: number; size: number }) => tf.Tensor;
}

/** What {@link privateGradients} returns. @internal */
export interface PrivateStep {
  /** The noisy, clipped gradient sum over the expected batch size, by variable name. */
  gradients: tf.NamedTensorMap;
  /** The examples' mean loss (NaN for an empty batch). */
  loss: number;
  /** Correct predictions in the batch. */
  correct: number;
}

/**
 * One DP-SGD gradient: per-example gradients of `perExampleLoss`, each clipped to
 * `plan.maxGradNorm`, summed, noised with N(0, (σC)²) per coordinate (seeded from `rng`), and
 * divided by the expected batch size. `x` may have no rows (a noise-only step).
 *
 * @internal
 */
export async function privateGradients(
  model: tfl.LayersModel,
  variables: readonly tf.Variable[],
  per: PerExamplePlan,
  plan: PrivacyPlan,
  x: tf.Tensor,
  loss: PerExampleLoss,
  rng: Random,
): Promise<PrivateStep> {
  const B = x.shape[0]!;
  const C = plan.maxGradNorm;
  let sums: tf.NamedTensorMap;
  let meanLoss = Number.NaN;
  let correct = 0;
  if (B === 0) {
    sums = Object.fromEntries(variables.map((v) => [v.name, tf.zerosLike(v)]));
  } else if (per.covered) {
    ({ sums, loss: meanLoss, correct } = await fastClippedSums(model, per.covered, x, loss, C));
  } else {
    ({ sums, loss: meanLoss, correct } = await loopClippedSums(model, variables, x, loss, C));
  }
  const std = plan.noiseMultiplier * C;
  const gradients: tf.NamedTensorMap = {};
  for (const v of variables) {
    const seed = rng.tfSeed();
    const sum = sums[v.name]!;
    gradients[v.name] = tf.tidy(() => {
      const noisy = std > 0 ? tf.add(sum, tf.randomNormal(v.shape, 0, std, 'float32', seed)) : sum;
      return tf.div(noisy, plan.expectedBatch);
    });
  }
  tf.dispose(Object.values(sums));
  return { gradients, loss: meanLoss, correct };
}

/** Clipped per-example gradient sums through the fast path (one forward and backward pass). */
async function fastClippedSums(
  model: tfl.LayersModel,
  covered: CoveredLayer[],
  x: tf.Tensor,
  loss: PerExampleLoss,
  C: number,
): Promise<{ sums: tf.NamedTensorMap; loss: number; correct: number }> {
  const B = x.shape[0]!;
  const probes = covered.map((c) => tf.zeros([B, ...c.outShape]));
  const inputs: tf.Tensor[] = [];
  let lossVector: tf.Tensor | undefined;
  let right: tf.Tensor | undefined;
  const calls = covered.map((c) => (c.layer as unknown as { call: unknown }).call);
  try {
    const deltas = tf.grads((...ps: tf.Tensor[]) => {
      covered.forEach((c, k) => {
        (c.layer as unknown as { call: unknown }).call = (inp: tf.Tensor | tf.Tensor[]) => {
          const input = Array.isArray(inp) ? inp[0]! : inp;
          inputs[k] = tf.keep(tf.clone(input)); // the layer's input a (a handle the step frees)
          return probedCall(c, input, ps[k]!);
        };
      });
      const out = model.apply(x, { training: true }) as tf.Tensor;
      const rows = { start: 0, size: B };
      lossVector = tf.keep(loss.perExample(out, rows));
      right = tf.keep(loss.correct ? loss.correct(out, rows) : tf.scalar(0));
      return tf.sum(lossVector) as tf.Scalar;
    })(probes);
    try {
      const parts = tf.tidy(() => {
        // per-example squared norms, layer by layer, and the pieces of the clipped sums
        let norm2: tf.Tensor = tf.zeros([B]);
        const pieces: { kernel: tf.Tensor | tf.Tensor[]; bias?: tf.Tensor }[] = [];
        covered.forEach((c, k) => {
          const delta = deltas[k]!;
          const a = inputs[k]!;
          if (c.kind === 'dense') {
            const a2 = tf.sum(tf.square(a), -1);
            const d2 = tf.sum(tf.square(delta), -1);
            norm2 = tf.add(norm2, tf.mul(a2, d2));
            if (c.bias) norm2 = tf.add(norm2, d2);
            pieces.push({ kernel: a, ...(c.bias ? { bias: delta } : {}) });
          } else {
            // each example's ∂W, tap by tap: δ_iᵀ · (its inputs under the tap), [B, co, ci]
            const [oh, ow, co] = c.outShape as [number, number, number];
            const d = tf.reshape(delta, [B, oh * ow, co]);
            const dT = tf.transpose(d, [0, 2, 1]);
            const perTap = tapInputs(a as tf.Tensor4D, c.conv!, [oh, ow]).map((t) =>
              tf.matMul(dT, t),
            );
            for (const g of perTap) norm2 = tf.add(norm2, tf.sum(tf.square(g), [1, 2]));
            const db = tf.sum(d, 1); // [B, co]
            if (c.bias) norm2 = tf.add(norm2, tf.sum(tf.square(db), -1));
            pieces.push({ kernel: perTap, ...(c.bias ? { bias: db } : {}) });
          }
        });
        // c_i = min(1, C / ‖g_i‖)
        const norm = tf.sqrt(norm2);
        const scale = tf.where(tf.greater(norm, C), tf.div(C, norm), tf.onesLike(norm));
        const sums: tf.NamedTensorMap = {};
        covered.forEach((c, k) => {
          const piece = pieces[k]!;
          if (c.kind === 'dense') {
            const weighted = tf.mul(deltas[k]!, tf.expandDims(scale, 1));
            sums[c.kernel.name] = tf.matMul(piece.kernel as tf.Tensor, weighted, true, false);
            if (c.bias) sums[c.bias.name] = tf.sum(weighted, 0);
          } else {
            // Σ_i c_i ∂W_i per tap, [co, ci] → the kernel's [kh, kw, ci, co]
            const c3 = tf.reshape(scale, [B, 1, 1]);
            const taps = (piece.kernel as tf.Tensor[]).map((g) =>
              tf.transpose(tf.sum(tf.mul(g, c3), 0)),
            );
            sums[c.kernel.name] = tf.reshape(tf.stack(taps), c.kernel.shape);
            if (c.bias) sums[c.bias.name] = tf.sum(tf.mul(piece.bias!, tf.expandDims(scale, 1)), 0);
          }
        });
        return sums;
      });
      const meanLoss = tf.mean(lossVector!);
      const [l, r] = await Promise.all([meanLoss.data(), right!.data()]);
      meanLoss.dispose();
      return { sums: parts, loss: l[0]!, correct: r[0]! };
    } finally {
      tf.dispose(deltas);
    }
  } finally {
    covered.forEach((c, k) => {
      (c.layer as unknown as { call: unknown }).call = calls[k];
      // an instance property shadowing the prototype's call: remove it
      if (calls[k] === Object.getPrototypeOf(c.layer).call)
        delete (c.layer as unknown as { call?: unknown }).call;
    });
    tf.dispose([...probes, ...inputs, lossVector ?? [], right ?? []]);
  }
}

/** Clipped per-example gradient sums by a loop over single examples (any layers). */
async function loopClippedSums(
  model: tfl.LayersModel,
  variables: readonly tf.Variable[],
  x: tf.Tensor,
  loss: PerExampleLoss,
  C: number,
): Promise<{ sums: tf.NamedTensorMap; loss: number; correct: number }> {
  const B = x.shape[0]!;
  const sums: tf.NamedTensorMap = Object.fromEntries(
    variables.map((v) => [v.name, tf.zerosLike(v)]),
  );
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < B; i++) {
    const xi = tf.slice(x, i, 1);
    const rows = { start: i, size: 1 };
    let li: tf.Tensor | undefined;
    let ri: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(xi, { training: true }) as tf.Tensor;
      ri = tf.keep(loss.correct ? loss.correct(out, rows) : tf.scalar(0));
      li = tf.keep(tf.sum(loss.perExample(out, rows)));
      return li as tf.Scalar;
    }, [...variables]);
    const [lv, rv] = await Promise.all([li!.data(), ri!.data()]);
    lossSum += lv[0]!;
    correct += rv[0]!;
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(1, tf.div(C, tf.maximum(norm, 1e-30)));
      for (const v of variables) {
        const next = tf.add(sums[v.name]!, tf.mul(grads[v.name]!, scale));
        sums[v.name]!.dispose();
        sums[v.name] = tf.keep(next);
      }
    });
    tf.dispose([xi, value, li!, ri!, ...Object.values(grads)]);
  }
  return { sums, loss: lossSum / B, correct };
}
