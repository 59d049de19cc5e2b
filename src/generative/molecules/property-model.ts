/**
 * Property models for guided generation: Morgan fingerprints as a feature matrix, and a small
 * tfjs-layers regressor fitted to a property (activity from an assay, QED, logP) on any features:
 * fingerprints to score or rank molecules, packed graphs to give `GanTrainer` a differentiable
 * `reward` (MolGAN's reward network).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue, ShapeError } from '../../core/errors.js';
import type { ProgressCallback } from '../../core/progress.js';
import { Random, type Seed } from '../../core/random.js';
import { checkFinite, formatShape, isTensor } from '../../core/tensors.js';
import { type OptionSpecs, type Resolved, resolveOptions } from '../../core/validate.js';
import { type BatchPlan, epochBatches, gatherRows, stepsPerEpoch } from '../../training/batches.js';
import { noiseLayers, reseedNoise } from '../../training/noise-seeds.js';
import { createOptimizer, type OptimizerChoice } from '../../training/optimizers.js';
import { runTrainingLoop, type StopReason } from '../../training/training-loop.js';
import { checkSmilesList, loadRdkit, withMolecule } from './rdkit.js';

/** Options of {@link morganFingerprints}. */
export interface MorganFingerprintOptions {
  /** Morgan radius. Defaults to 2 (ECFP4). */
  radius?: number;
  /** Fingerprint length in bits (a multiple of 8). Defaults to 2048. */
  nBits?: number;
}

/** What {@link morganFingerprints} returns. */
export interface MorganFingerprints {
  /** `[n, nBits]` of 0 and 1, one row per valid molecule, in input order. */
  fingerprints: tf.Tensor2D;
  /** The input positions of the rows (invalid SMILES left out). */
  indices: number[];
  /** The input positions of SMILES RDKit rejects (or empty strings). */
  invalid: number[];
}

/**
 * Morgan (ECFP-like) bit fingerprints from RDKit, bit `i` of a row equal to bit `i` of RDKit's
 * `GetMorganFingerprintAsBitVect(mol, radius, nBits)`.
 *
 * @throws `ArgumentError` for a bad list or option; `BackendError` when `@rdkit/rdkit` is missing.
 * @example
 * ```ts
 * const { fingerprints, invalid } = await morganFingerprints(['CCO', 'c1ccccc1O'], { nBits: 1024 });
 * fingerprints.shape; // [2, 1024]
 * ```
 */
export async function morganFingerprints(
  smiles: readonly string[],
  options: MorganFingerprintOptions = {},
): Promise<MorganFingerprints> {
  const fn = 'morganFingerprints';
  checkSmilesList(fn, 'smiles', smiles);
  const o = resolveOptions(fn, options, {
    radius: { constraint: { kind: 'number', integer: true, min: 0, max: 8 }, default: 2 },
    nBits: { constraint: { kind: 'number', integer: true, min: 8 }, default: 2048 },
  });
  const nBits = o.nBits;
  if (nBits % 8 !== 0)
    throw new ArgumentError(`${fn}: \`nBits\` must be a multiple of 8. Received: ${nBits}.`);
  const rdkit = await loadRdkit();
  const details = JSON.stringify({ radius: o.radius, nBits });
  const rows: Uint8Array[] = [];
  const indices: number[] = [];
  const invalid: number[] = [];
  smiles.forEach((s, i) => {
    const bytes = withMolecule(rdkit, s, (mol) => mol.get_morgan_fp_as_uint8array(details).slice());
    if (bytes) {
      rows.push(bytes);
      indices.push(i);
    } else invalid.push(i);
  });
  const bits = new Float32Array(rows.length * nBits);
  rows.forEach((bytes, r) => {
    // RDKit packs the bits least significant first
    for (let b = 0; b < nBits; b++) bits[r * nBits + b] = (bytes[b >> 3]! >> (b & 7)) & 1;
  });
  return { fingerprints: tf.tensor2d(bits, [rows.length, nBits]), indices, invalid };
}

/** Options of {@link fitPropertyModel}. */
export interface PropertyModelOptions {
  /** A model from an earlier fit to train further (e.g. on new generated samples), else a new one. */
  model?: tfl.LayersModel;
  /** Hidden units (ReLU) of a new model. Defaults to [128, 64]. */
  hidden?: number[];
  /** The output of a new model: `'sigmoid'` for a property in [0, 1] (QED), else `'linear'`. Defaults to `'linear'`. */
  outputActivation?: 'linear' | 'sigmoid';
  /** Dropout after each hidden layer of a new model. Defaults to 0. */
  dropout?: number;
  /** Passes over the data. Defaults to 50. */
  epochs?: number;
  /** Samples per step. Defaults to 32. */
  batchSize?: number;
  /**
   * `'adam'`, `'sgd'`, `'momentum'` or `'rmsprop'`, or a tfjs optimizer (which the fit then does
   * not dispose). Defaults to `'adam'`.
   */
  optimizer?: OptimizerChoice;
  /** The learning rate of a named optimizer. Defaults to 1e-3. */
  learningRate?: number;
  /** L2 penalty on the kernels (added to the loss as weightDecay · Σw²). Defaults to 0. */
  weightDecay?: number;
  /**
   * Seed of the initialisers, the dropout and the batch order (a safe integer or a bigint).
   * Defaults to 0, a seed like any other: two fits with the default repeat.
   */
  seed?: Seed;
  /** Receives typed progress events (start, epochStart, stepEnd, epochEnd, end). */
  onProgress?: ProgressCallback;
  /** Stops the fit at the next step when aborted; the result says `'aborted'`. */
  signal?: AbortSignal;
}

/** The per-epoch figures of {@link fitPropertyModel}. */
export interface PropertyModelHistory {
  /** The training mean squared error of each epoch (weight decay included). */
  loss: number[];
}

/** What {@link fitPropertyModel} resolves to. */
export interface PropertyModelFit {
  /** The model: features `[n, d]` → property `[n, 1]`; the caller disposes it. */
  model: tfl.LayersModel;
  /** The mean squared error of each epoch (the same array as `history.loss`). */
  loss: number[];
  /** Per-epoch figures by name. */
  history: PropertyModelHistory;
  /** Epochs completed. */
  epochs: number;
  /** Why the fit ended. */
  stopReason: StopReason;
}

const FN_FIT = 'fitPropertyModel';

const FIT_SPECS = {
  model: { constraint: { kind: 'object' } },
  hidden: { constraint: { kind: 'any' }, default: [128, 64] },
  outputActivation: {
    constraint: { kind: 'string', oneOf: ['linear', 'sigmoid'] },
    default: 'linear',
  },
  dropout: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
  epochs: { constraint: { kind: 'number', integer: true, min: 1 }, default: 50 },
  batchSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 32 },
  optimizer: { constraint: { kind: 'any' }, default: 'adam' },
  learningRate: { constraint: { kind: 'number', min: 0, minExclusive: true }, default: 1e-3 },
  weightDecay: { constraint: { kind: 'number', min: 0 }, default: 0 },
  seed: { constraint: { kind: 'seed' }, default: 0 },
  onProgress: { constraint: { kind: 'function' } },
  signal: { constraint: { kind: 'object' } },
} as const satisfies OptionSpecs<PropertyModelOptions>;

/** The options of a fit, defaults filled in. */
type FitOptions = Resolved<PropertyModelOptions, typeof FIT_SPECS>;

/**
 * Fits a small multilayer perceptron regressor (mean squared error, Adam) from features to a
 * property as a step on the library's training loop (no `compile`, so no tensors are left
 * behind): seeded batches, a fresh dropout mask each step, progress events and abort. Use it on
 * fingerprints for a QSAR activity model, or on packed graphs for a reward network.
 *
 * @param x - features `[n, d]`.
 * @param y - the property, `number[]` or a tensor `[n]` / `[n, 1]`.
 * @throws `ShapeError` when `x` and `y` do not fit each other or a given model;
 *   `ArgumentError` for empty input, NaN or infinite values, or a bad option; `MedkitError`
 *   when the loss becomes NaN or infinite.
 * @example
 * ```ts
 * const { fingerprints } = await morganFingerprints(train, { nBits: 1024 });
 * const { model } = await fitPropertyModel(fingerprints, activity, { epochs: 40, seed: 1 });
 * const predicted = model.predict(fingerprints) as tf.Tensor; // [n, 1]
 * ```
 */
export async function fitPropertyModel(
  x: tf.Tensor,
  y: readonly number[] | tf.Tensor,
  options: PropertyModelOptions = {},
): Promise<PropertyModelFit> {
  const o = resolveOptions(FN_FIT, options, FIT_SPECS);
  if (!isTensor(x) || x.rank !== 2 || x.shape[0] === 0) {
    throw new ArgumentError(
      `${FN_FIT}: \`x\` must be a non-empty 2-D tensor [n, features]. Received: ${isTensor(x) ? formatShape(x.shape) : describeValue(x)}.`,
    );
  }
  const n = x.shape[0]!;
  const target = isTensor(y) ? Array.from(await y.data()) : y;
  if (!Array.isArray(target) || target.length !== n) {
    throw new ShapeError(
      `${FN_FIT}: \`y\` must hold one value per row of \`x\` (${n}). Received: ${isTensor(y) ? formatShape(y.shape) : describeValue(y)}.`,
    );
  }
  if (!target.every(Number.isFinite))
    throw new ArgumentError(`${FN_FIT}: \`y\` holds NaN or infinite values.`);
  await checkFinite(x, `${FN_FIT}: \`x\``);
  const rng = new Random(o.seed);
  const model = o.model ?? buildRegressor(x.shape[1]!, o, rng.fork());
  if (!(model instanceof tfl.LayersModel) || model.inputs[0]!.shape[1] !== x.shape[1]) {
    throw new ShapeError(
      `${FN_FIT}: \`model\` must be a tfjs-layers model taking ${x.shape[1]} features. Received: ${model instanceof tfl.LayersModel ? formatShape(model.inputs[0]!.shape.map((d) => d ?? -1)) : describeValue(model)}.`,
    );
  }
  const { optimizer, owned } = createOptimizer(FN_FIT, o.optimizer, {
    learningRate: o.learningRate,
  });
  const yT = tf.tensor2d(target, [n, 1]);
  const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel'));
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const noisy = noiseLayers(model);
  const plan: BatchPlan = {
    size: n,
    batchSize: Math.min(o.batchSize, n),
    shuffle: true,
    dropRemainder: false,
  };
  try {
    const run = await runTrainingLoop<tf.Tensor[]>({
      fn: FN_FIT,
      models: [model],
      label: 'property model',
      epochs: o.epochs,
      stepsPerEpoch: stepsPerEpoch(plan),
      batches: function* () {
        for (const idx of epochBatches(plan, rng)) yield gatherRows([x, yT], idx);
      },
      release: (batch) => tf.dispose(batch),
      guard: ['loss'],
      guardHint: () => 'lower the learning rate or scale the features and the property',
      step: async ([xb, yb]) => {
        let cost: tf.Scalar | undefined;
        try {
          reseedNoise(noisy, rng);
          cost = optimizer.minimize(
            () => {
              let l = tf.mean(
                tf.squaredDifference(model.apply(xb!, { training: true }) as tf.Tensor, yb!),
              );
              if (o.weightDecay)
                for (const k of kernels)
                  l = tf.add(l, tf.mul(o.weightDecay, tf.sum(tf.square(k.read()))));
              return l as tf.Scalar;
            },
            true,
            variables,
          )!;
          return { size: xb!.shape[0]!, figures: { loss: (await cost.data())[0]! } };
        } finally {
          tf.dispose([xb!, yb!, cost ?? []]);
        }
      },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const loss = run.history.loss ?? [];
    return { model, loss, history: { loss }, epochs: run.epochs, stopReason: run.stopReason };
  } catch (e) {
    if (!o.model) model.dispose(); // a model built here is nobody else's to free
    throw e;
  } finally {
    if (owned) optimizer.dispose();
    yT.dispose();
  }
}

/** The default regressor, every initialiser and dropout seeded from `rng`. */
function buildRegressor(features: number, o: FitOptions, rng: Random): tfl.LayersModel {
  const hidden = o.hidden;
  if (!Array.isArray(hidden) || !hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new ArgumentError(
      `${FN_FIT}: \`hidden\` must be an array of positive integers. Received: ${describeValue(hidden)}.`,
    );
  }
  const input = tfl.input({ shape: [features], name: 'property_features' });
  let h: tfl.SymbolicTensor = input;
  hidden.forEach((units, i) => {
    h = tfl.layers
      .dense({
        units,
        activation: 'relu',
        name: `property_dense${i + 1}`,
        kernelInitializer: tfl.initializers.heNormal({ seed: rng.tfSeed() }),
      })
      .apply(h) as tfl.SymbolicTensor;
    if (o.dropout)
      h = tfl.layers
        .dropout({ rate: o.dropout, seed: rng.tfSeed() })
        .apply(h) as tfl.SymbolicTensor;
  });
  const out = tfl.layers
    .dense({
      units: 1,
      activation: o.outputActivation,
      name: 'property_out',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.tfSeed() }),
    })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'property_model' });
}
