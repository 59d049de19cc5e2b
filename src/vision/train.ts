/**
 * `trainClassifier`: trains an image classifier the way small, imbalanced medical data needs:
 * seeded and repeatable (the library's RNG shuffles; dropout layers get a fresh seed each step),
 * class weights, a stratified (and patient-grouped) validation split, learning-rate schedules
 * with warm-up, early stopping with best-weights restore, a per-batch augmentation hook,
 * typed progress events, cancellation with an AbortSignal, in-memory tensors or a streamed
 * dataset larger than memory.
 *
 * It is a step on the library's training loop (`src/training`), rather than tfjs-layers'
 * `fit`, which shuffles with `Math.random` and reuses one dropout seed for every step.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkTrainingSupport } from '../backend/check-training-support.js';
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import type { ProgressCallback } from '../core/progress.js';
import { Random, type Seed } from '../core/random.js';
import { type LearningRateSchedule, learningRateAt } from '../core/schedule.js';
import { splitIndices } from '../core/split.js';
import { checkFinite, formatShape, isTensor, type VectorInput } from '../core/tensors.js';
import { argName, type OptionSpecs, type Resolved, resolveOptions } from '../core/validate.js';
import { computeClassWeights } from '../losses/class-weights.js';
import type { MedkitLoss } from '../losses/loss-config.js';
import { sparseCategoricalCrossEntropy } from '../losses/probability-cross-entropy.js';
import { sparseSoftmaxCrossEntropy } from '../losses/softmax-cross-entropy.js';
import { balancedAccuracy } from '../metrics/classification-scores.js';
import { rocAuc } from '../metrics/roc.js';
import {
  type BatchPlan,
  epochBatches,
  gatherRows,
  stepsPerEpoch as stepsPerEpochOf,
} from '../training/batches.js';
import {
  epsilonSpent,
  type PerExamplePlan,
  type PrivacyOptions,
  type PrivacyPlan,
  type PrivacyReport,
  planPerExample,
  planPrivacy,
  poissonBatches,
  privacyReport,
  privateGradients,
} from '../training/dp-sgd.js';
import { EarlyStopping, type EarlyStoppingOptions } from '../training/early-stopping.js';
import {
  type LearningRateGroup,
  resolveLearningRateGroups,
  selectLayers,
  type UnfreezeStep,
  unfreeze,
  withGroupRates,
} from '../training/freeze.js';
import {
  applyGradients,
  type GradientTransform,
  optimizeStep,
  resolveTransforms,
} from '../training/gradient-transform.js';
import { noiseLayers, reseedNoise } from '../training/noise-seeds.js';
import {
  type CreatedOptimizer,
  createOptimizer,
  type OptimizerChoice,
  setLearningRate,
} from '../training/optimizers.js';
import {
  runTrainingLoop,
  type StepOutcome,
  type StepPosition,
  type StopReason,
} from '../training/training-loop.js';

/**
 * Integer class labels, one per sample.
 *
 * @deprecated The former name of {@link VectorInput}; it still works.
 */
export type ClassLabels = VectorInput;

/** Samples in memory: `x` a float tensor `[n, ...inputShape]`, `y` one class index per sample. */
export interface ClassifierData {
  /** The inputs, `[n, height, width, channels]` or `[n, depth, height, width, channels]`. */
  x: tf.Tensor;
  /** Class indices in [0, numClasses), one per sample. */
  y: VectorInput;
}

/**
 * A dataset streamed in batches (larger than memory): an async iterable of `{ x, y }` batches,
 * or a function returning a fresh one for each epoch (an async generator can be iterated only
 * once, so pass `() => generator()`). The trainer disposes each batch's tensors after its step.
 */
export type StreamedData = AsyncIterable<ClassifierData> | (() => AsyncIterable<ClassifierData>);

/** What the augmentation hook is told about the batch it transforms. */
export interface AugmentContext {
  /** The epoch, 1-based. */
  epoch: number;
  /** The step within the epoch, 1-based. */
  step: number;
  /** The batch's labels. */
  labels: Int32Array;
  /** A generator seeded from the trainer's seed and the step: same seed, same augmentation. */
  random: Random;
}

/**
 * A per-batch augmentation: takes the batch's inputs and returns transformed inputs of the same
 * shape (a new tensor; the trainer disposes it after the step). Runs on training batches only.
 */
export type AugmentHook = (x: tf.Tensor, context: AugmentContext) => tf.Tensor;

/** The figures the trainer records each epoch, by name. */
export type TrainMetricName =
  | 'loss'
  | 'accuracy'
  | 'valLoss'
  | 'valAccuracy'
  | 'valAuc'
  | 'valBalancedAccuracy';

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  /** Passes over the training data. Defaults to 10. */
  epochs?: number;
  /** Samples per step (in-memory data). Defaults to 32. */
  batchSize?: number;
  /**
   * `'adam'`, `'sgd'`, `'momentum'` (SGD with Nesterov momentum 0.9) or `'rmsprop'`, or a tfjs
   * optimizer instance (which the trainer then does not dispose). Defaults to `'adam'`.
   */
  optimizer?: OptimizerChoice;
  /** The base learning rate (for a named optimizer). Defaults to 1e-3. */
  learningRate?: number;
  /** How the rate changes over the run; see {@link LearningRateSchedule}. Defaults to `'constant'`. */
  schedule?: LearningRateSchedule;
  /** Epochs of linear learning-rate warm-up. Defaults to 0. */
  warmupEpochs?: number;
  /**
   * The loss of (labels, model output). Defaults to sparse softmax cross-entropy on logits
   * (sparse categorical cross-entropy on probabilities when the model ends in a softmax),
   * with `classWeights` and `labelSmoothing`. A {@link MedkitLoss} from `createLoss` is called
   * with class indices for its sparse kinds and one-hot targets for the others.
   */
  loss?: MedkitLoss | ((labels: tf.Tensor, output: tf.Tensor) => tf.Tensor);
  /**
   * Per-class weights of the default loss: `'balanced'` (n / (k·n_c), scikit-learn's rule, on
   * the training side), an array, or a map from class to weight. Defaults to none.
   */
  classWeights?: 'balanced' | readonly number[] | Readonly<Record<number, number>>;
  /** @deprecated The former spelling of `classWeights`; it still works. */
  classWeight?: 'balanced' | readonly number[] | Readonly<Record<number, number>>;
  /** Label smoothing of the default loss, in [0, 1). Defaults to 0. */
  labelSmoothing?: number;
  /**
   * The share of samples held out for validation, stratified by class (and grouped by
   * `groups`), drawn with `seed`. Defaults to 0 (none).
   */
  validationSplit?: number;
  /** A group (patient) id per sample: the validation split keeps each group on one side. */
  groups?: readonly (string | number)[];
  /** Validation samples given explicitly (instead of `validationSplit`). */
  validationData?: ClassifierData;
  /**
   * Stop when the monitored figure stops improving; `true` for the defaults. The monitor must be
   * a figure the run records (the `val…` ones need validation data). Defaults to off.
   */
  earlyStopping?: boolean | EarlyStoppingOptions<TrainMetricName>;
  /**
   * Transforms of each step's gradients before the optimizer applies them (clipping, masks,
   * per-group scaling), in order; see {@link GradientTransform}. Defaults to none.
   */
  transformGradients?: GradientTransform | readonly GradientTransform[];
  /**
   * Layers trained at a multiple of the learning rate, e.g. `[{ layers: { layers: ['fc'] },
   * multiplier: 10 }]` for a new head at ten times a pretrained backbone's rate. Each group's
   * update is scaled by its multiplier, which for every tfjs optimizer is the step at that
   * multiple of the rate. Defaults to none.
   */
  learningRateGroups?: readonly LearningRateGroup[];
  /**
   * Gradual unfreezing: at the start of each listed epoch (1-based), these layers are unfrozen
   * (see `unfreeze`), e.g. `[{ epoch: 3, layers: { layers: ['layer4'] } }, { epoch: 5, layers:
   * { layers: ['layer3'] } }]`. Defaults to none.
   */
  unfreezeSchedule?: readonly UnfreezeStep[];
  /** A per-batch augmentation of the training inputs. */
  augment?: AugmentHook;
  /** Receives typed progress events (start, epochStart, stepEnd, epochEnd, end). */
  onProgress?: ProgressCallback;
  /** Stops training at the next step when aborted; the result says `'aborted'`. */
  signal?: AbortSignal;
  /**
   * The seed of shuffling, dropout, augmentation and the validation split (a safe integer or a
   * bigint). Defaults to 0, a seed like any other: two runs with the default repeat.
   */
  seed?: Seed;
  /**
   * Train with differential privacy (DP-SGD): each example's gradient clipped to
   * `maxGradNorm`, Gaussian noise added, ε accounted (`history.epsilon`); see
   * {@link PrivacyOptions} and docs/privacy.md. Needs in-memory data and the default loss;
   * refuses batch normalisation, `'balanced'` class weights (computed from the private labels)
   * and early stopping on anything but `validationData` given separately. Defaults to off.
   */
  privacy?: PrivacyOptions;
  /** Shuffle the training samples each epoch (in-memory data). Defaults to `true`. */
  shuffle?: boolean;
  /** Streamed data: batches per epoch, when known in advance (for progress and schedules). */
  stepsPerEpoch?: number;
}

/** Per-epoch figures. Validation figures are present when there is validation data. */
export interface TrainHistory {
  /** Mean training loss of each epoch (over its steps, weighted by batch size). */
  loss: number[];
  /** Training accuracy of each epoch (running, in training mode). */
  accuracy: number[];
  /** The learning rate at the end of each epoch. */
  learningRate: number[];
  /** Validation loss (unweighted, inference mode). */
  valLoss?: number[];
  /** Validation accuracy. */
  valAccuracy?: number[];
  /**
   * Validation ROC AUC: binary, or one-vs-rest macro for more classes (NaN in an epoch whose
   * validation side lacks a class).
   */
  valAuc?: number[];
  /** Validation balanced accuracy. */
  valBalancedAccuracy?: number[];
  /** With `privacy`: the ε spent by the end of each epoch (at the run's δ). */
  epsilon?: number[];
}

/** What {@link trainClassifier} resolves to. */
export interface TrainResult {
  /** Per-epoch figures. */
  history: TrainHistory;
  /** Epochs run. */
  epochs: number;
  /** With early stopping: the best epoch (1-based), whose weights the model holds when restored. */
  bestEpoch?: number;
  /** Why training ended. */
  stopReason: StopReason;
  /** With `privacy`: the guarantee the run gives, (ε, δ)-DP for each training example. */
  privacy?: PrivacyReport;
}

const SPECS = {
  epochs: { constraint: { kind: 'number', integer: true, min: 1 }, default: 10 },
  batchSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 32 },
  optimizer: { constraint: { kind: 'any' }, default: 'adam' },
  learningRate: { constraint: { kind: 'number', min: 0, minExclusive: true }, default: 1e-3 },
  schedule: { constraint: { kind: 'any' }, default: 'constant' },
  warmupEpochs: { constraint: { kind: 'number', min: 0 }, default: 0 },
  loss: { constraint: { kind: 'function' } },
  classWeights: { constraint: { kind: 'any' } },
  classWeight: { constraint: { kind: 'any' }, aliasOf: 'classWeights' },
  labelSmoothing: {
    constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true },
    default: 0,
  },
  validationSplit: {
    constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true },
    default: 0,
  },
  groups: { constraint: { kind: 'any' } },
  validationData: { constraint: { kind: 'object' } },
  earlyStopping: { constraint: { kind: 'any' } },
  transformGradients: { constraint: { kind: 'any' } },
  learningRateGroups: { constraint: { kind: 'any' } },
  unfreezeSchedule: { constraint: { kind: 'any' } },
  augment: { constraint: { kind: 'function' } },
  privacy: { constraint: { kind: 'object' } },
  onProgress: { constraint: { kind: 'function' } },
  signal: { constraint: { kind: 'object' } },
  seed: { constraint: { kind: 'seed' }, default: 0 },
  shuffle: { constraint: { kind: 'boolean' }, default: true },
  stepsPerEpoch: { constraint: { kind: 'number', integer: true, min: 1 } },
} as const satisfies OptionSpecs<TrainClassifierOptions>;

const FN = 'trainClassifier';

/** The model's single input's per-sample shape and its number of classes. */
function describeModel(model: tfl.LayersModel): {
  inputShape: (number | null)[];
  numClasses: number;
  probabilities: boolean;
} {
  if (!(model instanceof tfl.LayersModel)) {
    throw new ArgumentError(
      `${FN}: \`model\` must be a tfjs-layers LayersModel. Received: ${describeValue(model)}.`,
    );
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ArgumentError(
      `${FN}: \`model\` must have one input and one output. Received: ${model.inputs.length} inputs, ${model.outputs.length} outputs.`,
    );
  }
  const out = model.outputs[0]!.shape;
  const numClasses = out[out.length - 1];
  if (out.length !== 2 || typeof numClasses !== 'number' || numClasses < 2) {
    throw new ArgumentError(
      `${FN}: the model's output must be [batch, numClasses] with numClasses ≥ 2 (one logit per class). Received: ${formatShape(out.map((d) => d ?? -1))}.`,
    );
  }
  const last = model.layers[model.layers.length - 1];
  const activation = (last?.getConfig() as { activation?: unknown } | undefined)?.activation;
  return {
    inputShape: model.inputs[0]!.shape.slice(1),
    numClasses,
    probabilities: activation === 'softmax',
  };
}

/** Checks an input batch's shape against the model's input. */
function checkInputs(x: unknown, inputShape: (number | null)[], what: string): tf.Tensor {
  if (!isTensor(x)) {
    throw new ArgumentError(`${FN}: ${what} must be a tensor. Received: ${describeValue(x)}.`);
  }
  if (x.isDisposed) throw new ArgumentError(`${FN}: ${what} is a disposed tensor.`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new ArgumentError(`${FN}: ${what} must be a float32 tensor. Received: dtype ${x.dtype}.`);
  }
  const shown = formatShape(inputShape.map((d) => d ?? -1)).replace(/-1/g, 'any');
  if (x.rank !== inputShape.length + 1) {
    throw new ShapeError(
      `${FN}: ${what} must have rank ${inputShape.length + 1} ([samples, ...${shown}] for this model). Received: shape ${formatShape(x.shape)}.`,
    );
  }
  inputShape.forEach((d, i) => {
    if (d !== null && x.shape[i + 1] !== d) {
      const axis = i === inputShape.length - 1 ? 'channels' : `axis ${i + 1}`;
      throw new ShapeError(
        `${FN}: ${what} does not fit the model's input ${shown} (${axis}: expected ${d}, received ${x.shape[i + 1]}). Received: shape ${formatShape(x.shape)}.`,
      );
    }
  });
  if (x.shape[0] === 0) throw new ShapeError(`${FN}: ${what} must not be empty.`);
  return x;
}

/** Reads labels and checks them against the number of classes. */
async function readLabels(
  y: unknown,
  n: number,
  numClasses: number,
  what: string,
): Promise<Int32Array> {
  let values: ArrayLike<number>;
  if (isTensor(y)) {
    if (y.isDisposed) throw new ArgumentError(`${FN}: ${what} is a disposed tensor.`);
    if (y.rank !== 1 && !(y.rank === 2 && y.shape[1] === 1)) {
      throw new ShapeError(
        `${FN}: ${what} must be 1-D class indices (one per sample). Received: shape ${formatShape(y.shape)}.`,
      );
    }
    values = await y.data();
  } else if (Array.isArray(y) || y instanceof Int32Array) {
    values = y as ArrayLike<number>;
  } else {
    throw new ArgumentError(
      `${FN}: ${what} must be a 1-D tensor or an array of class indices. Received: ${describeValue(y)}.`,
    );
  }
  if (values.length !== n) {
    throw new ShapeError(
      `${FN}: ${what} must hold one label per sample (${n}). Received: ${values.length}.`,
    );
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ArgumentError(
        `${FN}: ${what} must hold class indices in [0, ${numClasses - 1}] (the model has ${numClasses} outputs). Received: ${describeValue(v)} at index ${i}.`,
      );
    }
    out[i] = v;
  }
  return out;
}

function distinct(labels: Int32Array): number {
  return new Set(labels).size;
}

type LossFn = (labels: tf.Tensor, output: tf.Tensor) => tf.Tensor;

function makeLoss(
  o: Resolved<TrainClassifierOptions, typeof SPECS>,
  numClasses: number,
  probabilities: boolean,
  classWeights: number[] | undefined,
): { train: LossFn; validation: LossFn; perExample?: LossFn } {
  if (o.loss !== undefined) {
    if (classWeights !== undefined || o.labelSmoothing > 0) {
      throw new ArgumentError(
        `${FN}: \`classWeights\` and \`labelSmoothing\` apply to the default loss; with your own \`loss\`, set them when you create it (createLoss(name, { classWeights, labelSmoothing })).`,
      );
    }
    const user = o.loss;
    const name = (user as Partial<MedkitLoss>).config?.name;
    const sparse = name === undefined || name.startsWith('sparse');
    const fn: LossFn = sparse
      ? (labels, out) => user(labels, out)
      : (labels, out) => user(tf.cast(tf.oneHot(labels, numClasses), 'float32'), out);
    return { train: fn, validation: fn };
  }
  const base = probabilities ? sparseCategoricalCrossEntropy : sparseSoftmaxCrossEntropy;
  const options = { ...(classWeights ? { classWeights } : {}), labelSmoothing: o.labelSmoothing };
  return {
    train: (labels, out) => base(labels, out, options),
    perExample: (labels, out) => base(labels, out, { ...options, reduction: 'none' }),
    validation: (labels, out) => base(labels, out),
  };
}

function resolveClassWeights(
  choice: TrainClassifierOptions['classWeights'],
  trainLabels: Int32Array | undefined,
  numClasses: number,
): number[] | undefined {
  if (choice === undefined) return undefined;
  if (Array.isArray(choice)) {
    if (choice.length !== numClasses || !choice.every((w) => Number.isFinite(w) && w >= 0)) {
      throw new ArgumentError(
        `${FN}: \`classWeights\` as an array must hold ${numClasses} weights ≥ 0 (one per class). Received: ${describeValue(choice)}.`,
      );
    }
    return [...choice];
  }
  if (choice === 'balanced') {
    if (!trainLabels) {
      throw new ArgumentError(
        `${FN}: \`classWeights: 'balanced'\` needs the labels up front; with streamed data, give the weights as an array.`,
      );
    }
    return computeClassWeights(trainLabels, 'balanced', { numClasses });
  }
  if (typeof choice === 'object' && choice !== null) {
    return computeClassWeights(trainLabels ?? [0], choice as Record<number, number>, {
      numClasses,
    });
  }
  throw new ArgumentError(
    `${FN}: \`classWeights\` must be 'balanced', an array or a map of class → weight. Received: ${describeValue(choice)}.`,
  );
}

interface Validation {
  x: tf.Tensor;
  labels: Int32Array;
  owned: boolean;
}

/** Inference-mode figures on the validation side. */
async function validate(
  model: tfl.LayersModel,
  v: Validation,
  batchSize: number,
  lossFn: LossFn,
  probabilities: boolean,
): Promise<{ valLoss: number; valAccuracy: number; valAuc: number; valBalancedAccuracy: number }> {
  const out = model.predict(v.x, { batchSize }) as tf.Tensor;
  const labelsT = tf.tensor1d(v.labels, 'int32');
  const [lossT, probsT] = tf.tidy(() => [
    lossFn(labelsT, out),
    probabilities ? out.clone() : tf.softmax(out),
  ]) as [tf.Tensor, tf.Tensor];
  const [lossV, probs] = await Promise.all([lossT.data(), probsT.data()]);
  tf.dispose([out, labelsT, lossT, probsT]);
  const n = v.labels.length;
  const k = probsT.shape[1]!;
  const pred = new Int32Array(n);
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j]! > probs[i * k + best]!) best = j;
    pred[i] = best;
    if (best === v.labels[i]) right++;
  }
  const labels = Array.from(v.labels);
  let valAuc = Number.NaN;
  const present = new Set(labels).size;
  if (present === k) {
    if (k === 2) {
      valAuc = rocAuc(
        labels,
        Array.from({ length: n }, (_, i) => probs[2 * i + 1]!),
      );
    } else {
      const rows = Array.from({ length: n }, (_, i) =>
        Array.from(probs.subarray(i * k, (i + 1) * k)),
      );
      valAuc = rocAuc(labels, rows);
    }
  }
  return {
    valLoss: lossV[0]!,
    valAccuracy: right / n,
    valAuc,
    valBalancedAccuracy: balancedAccuracy(labels, Array.from(pred)),
  };
}

/**
 * Trains a classifier (a tfjs-layers model with one output per class) on labelled images or
 * volumes, and resolves to the per-epoch history.
 *
 * The model need not be compiled: the trainer sets up its own optimizer (Adam, learning rate
 * 1e-3, by default) and loss (sparse softmax cross-entropy on logits), disposes the optimizer's
 * state when it returns, and leaves the model's own `compile` configuration as it was.
 *
 * Each step: take a batch (a seeded permutation each epoch), apply `augment`, give every
 * dropout/noise layer a fresh seed drawn from the run's generator, set the scheduled learning
 * rate, and minimise the loss over the model's trainable weights in training mode (batch-norm
 * statistics update). After each epoch: validation figures in inference mode, progress events,
 * early stopping. The same seed on the same backend repeats a run exactly, given a model built
 * with seeded initialisers (the library's factories take `seed`).
 *
 * @param model - a tfjs-layers model, `[batch, ...inputShape] → [batch, numClasses]`, logits
 *   or softmax probabilities.
 * @param data - `{ x, y }` in memory, or a {@link StreamedData} of batches.
 * @param options - see {@link TrainClassifierOptions}.
 * @returns the history, the epochs run, the best epoch, and why training stopped.
 * @throws {@link ShapeError} when `x` does not fit the model's input, or sizes disagree;
 *   {@link ArgumentError} for labels outside [0, numClasses), a single class, empty data,
 *   NaN/infinite inputs, or a bad option; {@link BackendError} when the backend lacks a kernel
 *   or gradient the model needs (see `checkTrainingSupport`). Checked before the first step.
 *
 * @example
 * ```ts
 * const model = createSimpleCnn({ inputShape: [28, 28, 1], numClasses: 2, seed: 1 });
 * const { history } = await trainClassifier(model, { x, y }, {
 *   epochs: 20, batchSize: 32, seed: 1, validationSplit: 0.2, classWeights: 'balanced',
 *   schedule: 'cosine', earlyStopping: { monitor: 'valAuc', patience: 5 },
 * });
 * history.valAuc; // one AUC per epoch
 * ```
 */
export async function trainClassifier(
  model: tfl.LayersModel,
  data: ClassifierData | StreamedData,
  options?: TrainClassifierOptions,
): Promise<TrainResult> {
  const o = resolveOptions(FN, options, SPECS);
  const { inputShape, numClasses, probabilities } = describeModel(model);
  // Every kernel and gradient the step needs, or one error naming what is missing.
  checkTrainingSupport(model);
  const streamed =
    typeof data === 'function' ||
    (typeof data === 'object' && data !== null && Symbol.asyncIterator in data);
  if (!streamed && (typeof data !== 'object' || data === null || !('x' in data))) {
    throw new ArgumentError(
      `${FN}: \`data\` must be { x, y } or an async iterable of { x, y } batches. Received: ${describeValue(data)}.`,
    );
  }
  if (o.validationSplit && o.validationData) {
    throw new ArgumentError(`${FN}: give \`validationSplit\` or \`validationData\`, not both.`);
  }
  if (streamed && o.validationSplit) {
    throw new ArgumentError(
      `${FN}: \`validationSplit\` needs in-memory data; with streamed data pass \`validationData\`.`,
    );
  }
  if (o.groups !== undefined && !o.validationSplit) {
    throw new ArgumentError(`${FN}: \`groups\` only applies with \`validationSplit\`.`);
  }
  const hasValidation = Boolean(o.validationSplit || o.validationData);
  const figureNames: TrainMetricName[] = hasValidation
    ? ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'valAuc', 'valBalancedAccuracy']
    : ['loss', 'accuracy'];
  const transforms = resolveTransforms(FN, o.transformGradients);
  const seed = o.seed;
  const rng = new Random(seed);
  const splitSeed = rng.nextUint32();
  const batchSize = o.batchSize;
  const epochs = o.epochs;
  const learningRate = o.learningRate;

  // Data and options, checked before anything trains.
  let trainX: tf.Tensor | undefined;
  let trainLabels: Int32Array | undefined;
  let ownTrainX = false;
  let validation: Validation | undefined;
  const cleanup: tf.Tensor[] = [];
  let stopping: EarlyStopping | undefined;
  let created: CreatedOptimizer | undefined;
  try {
    stopping = EarlyStopping.resolve(
      FN,
      o.earlyStopping,
      figureNames,
      hasValidation ? 'valLoss' : 'loss',
      model,
    );
    if (!streamed) {
      const d = data as ClassifierData;
      const x = checkInputs(d.x, inputShape, '`data.x`');
      const labels = await readLabels(d.y, x.shape[0]!, numClasses, '`data.y`');
      if (distinct(labels) < 2) {
        throw new ArgumentError(
          `${FN}: \`data.y\` holds a single class (${labels[0]}); a classifier needs at least two.`,
        );
      }
      await checkFinite(x, argName(FN, 'data.x'));
      const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      if (xf !== x) cleanup.push(xf);
      if (o.validationSplit) {
        const { train, test } = splitIndices(labels, {
          testSize: o.validationSplit,
          seed: splitSeed,
          ...(o.groups ? { groups: o.groups } : {}),
        });
        [trainX] = gatherRows([xf], Int32Array.from(train));
        ownTrainX = true;
        trainLabels = Int32Array.from(train, (i) => labels[i]!);
        const [vx] = gatherRows([xf], Int32Array.from(test));
        validation = { x: vx!, labels: Int32Array.from(test, (i) => labels[i]!), owned: true };
      } else {
        trainX = xf;
        trainLabels = labels;
      }
    }
    if (o.validationData) {
      const v = o.validationData;
      const vx = checkInputs(v.x, inputShape, '`validationData.x`');
      const vLabels = await readLabels(v.y, vx.shape[0]!, numClasses, '`validationData.y`');
      await checkFinite(vx, argName(FN, 'validationData.x'));
      validation = { x: vx, labels: vLabels, owned: false };
    }
    const classWeights = resolveClassWeights(o.classWeights, trainLabels, numClasses);
    const loss = makeLoss(o, numClasses, probabilities, classWeights);
    const privacy = o.privacy
      ? privacyFor(o, model, streamed, stopping, trainX?.shape[0] ?? 0, batchSize, epochs)
      : undefined;
    let privateSteps = 0;
    created = createOptimizer(FN, o.optimizer, { learningRate });
    const { optimizer } = created;
    // the variables in training: unfrozen ones join at the end (optimizers keep their state by
    // position, so the order must not change)
    const order: tf.Variable[] = [];
    const trainableVariables = () => {
      const now = model.trainableWeights.map((w) => w.read() as tf.Variable);
      for (const v of now) if (!order.includes(v)) order.push(v);
      return order.filter((v) => now.includes(v));
    };
    const groups = resolveLearningRateGroups(FN, model, o.learningRateGroups);
    const schedule = checkUnfreezeSchedule(model, o.unfreezeSchedule);
    const noisy = noiseLayers(model);
    const plan: BatchPlan = {
      size: trainX?.shape[0] ?? 0,
      batchSize,
      shuffle: o.shuffle,
      dropRemainder: false,
    };
    const totalSteps = (stepsPerEpoch: number) => epochs * stepsPerEpoch;
    let knownSteps = streamed
      ? (o.stepsPerEpoch ?? 0)
      : (privacy?.plan.stepsPerEpoch ?? stepsPerEpochOf(plan));
    const run = await runTrainingLoop<HostBatch>({
      fn: FN,
      models: [model],
      label: 'train',
      epochs,
      stepsPerEpoch: knownSteps,
      batches: streamed
        ? () => streamBatches(data as StreamedData, inputShape, numClasses)
        : privacy?.plan.sampling === 'poisson'
          ? () => poissonMemoryBatches(trainX!, trainLabels!, privacy.plan, rng)
          : () => memoryBatches(trainX!, trainLabels!, plan, rng),
      release: (batch) => batch.x.dispose(),
      lastOfEpoch: ['learningRate'],
      guard: ['loss'],
      guardHint: (at) => `lower the learning rate (now ${rateAt(at)}) or check the inputs' scale`,
      step: async (batch, at): Promise<StepOutcome> => {
        if (knownSteps === 0 && at.stepsPerEpoch > 0) knownSteps = at.stepsPerEpoch;
        if (at.step === 1)
          for (const u of schedule) if (u.epoch === at.epoch) unfreeze(model, u.layers);
        const variables = trainableVariables();
        const rate = rateAt(at);
        setLearningRate(optimizer, rate);
        const stepSeed = rng.nextUint32();
        let x = batch.x;
        const labelsT = tf.tensor1d(batch.labels, 'int32');
        let right: tf.Tensor | undefined;
        let cost: tf.Scalar | undefined;
        try {
          if (o.augment && batch.labels.length > 0)
            x = augmentBatch(o.augment, batch, at, stepSeed);
          reseedNoise(noisy, rng);
          const context = () => ({ epoch: at.epoch, step: at.step, random: new Random(stepSeed) });
          if (privacy) {
            const slice = (t: tf.Tensor, rows: { start: number; size: number }) =>
              rows.start === 0 && rows.size === t.shape[0] ? t : tf.slice(t, rows.start, rows.size);
            const step = await privateGradients(
              model,
              variables,
              schedule.length > 0 ? planPerExample(FN, model) : privacy.per,
              privacy.plan,
              x,
              {
                perExample: (out, rows) => loss.perExample!(slice(labelsT, rows), out),
                correct: (out, rows) =>
                  tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), slice(labelsT, rows)), 'int32')),
              },
              rng,
            );
            withGroupRates(groups, () =>
              applyGradients(FN, optimizer, step.gradients, variables, transforms, context),
            );
            privateSteps++;
            const size = batch.labels.length;
            // an empty Poisson batch takes a noise-only step and reports no loss
            return size === 0
              ? { size, figures: { learningRate: rate } }
              : {
                  size,
                  figures: { loss: step.loss, accuracy: step.correct / size, learningRate: rate },
                  totals: { accuracy: step.correct },
                };
          }
          cost = withGroupRates(groups, () =>
            optimizeStep(
              FN,
              optimizer,
              () => {
                const out = model.apply(x, { training: true }) as tf.Tensor;
                right = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), labelsT), 'int32')));
                return loss.train(labelsT, out) as tf.Scalar;
              },
              variables,
              transforms,
              context,
            ),
          );
          const [c, r] = await Promise.all([cost.data(), right!.data()]);
          const size = batch.labels.length;
          return {
            size,
            figures: { loss: c[0]!, accuracy: r[0]! / size, learningRate: rate },
            totals: { accuracy: r[0]! },
          };
        } finally {
          tf.dispose([cost ?? [], right ?? [], labelsT, batch.x]);
          if (x !== batch.x) x.dispose();
        }
      },
      ...(validation || privacy
        ? {
            endEpoch: async (): Promise<Record<string, number>> => ({
              ...(validation
                ? await validate(model, validation, batchSize, loss.validation, probabilities)
                : {}),
              ...(privacy ? { epsilon: epsilonSpent(privacy.plan, privateSteps) } : {}),
            }),
          }
        : {}),
      ...(stopping ? { earlyStopping: stopping } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    stopping = undefined; // the loop disposed it
    const history: TrainHistory = {
      loss: run.history.loss ?? [],
      accuracy: run.history.accuracy ?? [],
      learningRate: run.history.learningRate ?? [],
    };
    if (validation) {
      history.valLoss = run.history.valLoss ?? [];
      history.valAccuracy = run.history.valAccuracy ?? [];
      history.valAuc = run.history.valAuc ?? [];
      history.valBalancedAccuracy = run.history.valBalancedAccuracy ?? [];
    }
    if (privacy) history.epsilon = run.history.epsilon ?? [];
    return {
      history,
      epochs: run.epochs,
      ...(run.bestEpoch ? { bestEpoch: run.bestEpoch } : {}),
      stopReason: run.stopReason,
      ...(privacy
        ? {
            privacy: privacyReport(privacy.plan, privateSteps),
          }
        : {}),
    };

    /** The scheduled learning rate of a step. */
    function rateAt(at: StepPosition): number {
      const warmupSteps = Math.round(o.warmupEpochs * knownSteps);
      return learningRateAt(
        o.schedule,
        learningRate,
        {
          epoch: at.epoch,
          step: at.completed,
          totalSteps: totalSteps(knownSteps),
          stepsPerEpoch: knownSteps,
        },
        warmupSteps,
      );
    }
  } finally {
    stopping?.dispose();
    if (created?.owned) created.optimizer.dispose();
    if (ownTrainX && trainX) trainX.dispose();
    if (validation?.owned) validation.x.dispose();
    tf.dispose(cleanup);
  }
}

/** Checks a gradual-unfreezing schedule (the layers are looked up now, not at their epoch). */
function checkUnfreezeSchedule(
  model: tfl.LayersModel,
  schedule: TrainClassifierOptions['unfreezeSchedule'],
): readonly UnfreezeStep[] {
  if (schedule === undefined) return [];
  if (!Array.isArray(schedule)) {
    throw new ArgumentError(
      `${FN}: \`unfreezeSchedule\` must be an array of { epoch, layers }. Received: ${describeValue(schedule)}.`,
    );
  }
  for (const [i, u] of schedule.entries()) {
    if (!Number.isInteger(u?.epoch) || u.epoch < 1) {
      throw new ArgumentError(
        `${FN}: \`unfreezeSchedule[${i}].epoch\` must be an integer ≥ 1. Received: ${describeValue(u?.epoch)}.`,
      );
    }
    selectLayers(FN, model, u.layers);
  }
  return schedule;
}

/** Checks what DP-SGD needs of the run and plans it. */
function privacyFor(
  o: Resolved<TrainClassifierOptions, typeof SPECS>,
  model: tfl.LayersModel,
  streamed: boolean,
  stopping: EarlyStopping | undefined,
  n: number,
  batchSize: number,
  epochs: number,
): { plan: PrivacyPlan; per: PerExamplePlan } {
  if (streamed) {
    throw new ArgumentError(
      `${FN}: \`privacy\` needs the training data in memory ({ x, y }): sampling each example with a known probability is what the guarantee rests on.`,
    );
  }
  if (o.loss !== undefined) {
    throw new ArgumentError(
      `${FN}: \`privacy\` trains with the default loss (per-example sparse cross-entropy, with \`labelSmoothing\` and array \`classWeights\`); remove \`loss\`.`,
    );
  }
  if (o.classWeights === 'balanced') {
    throw new ArgumentError(
      `${FN}: \`classWeights: 'balanced'\` is computed from the private labels, outside the privacy guarantee; give the weights as an array (from public knowledge of the class balance) with \`privacy\`.`,
    );
  }
  if (stopping && (o.validationSplit || !stopping.monitor.startsWith('val'))) {
    throw new ArgumentError(
      `${FN}: early stopping on '${stopping.monitor}' ${o.validationSplit ? 'with a validation split of the private data' : 'of the private training data'} decides on the private data outside the privacy guarantee; with \`privacy\`, stop early on \`validationData\` given separately (data you may use freely), or not at all.`,
    );
  }
  const per = planPerExample(FN, model);
  return { plan: planPrivacy(FN, o.privacy!, n, batchSize, epochs), per };
}

/** Poisson-sampled batches of in-memory samples (DP-SGD). */
function* poissonMemoryBatches(
  x: tf.Tensor,
  labels: Int32Array,
  plan: PrivacyPlan,
  rng: Random,
): Generator<HostBatch> {
  for (const idx of poissonBatches(labels.length, plan.sampleRate, plan.stepsPerEpoch, rng)) {
    const [xb] = gatherRows([x], idx);
    yield { x: xb!, labels: Int32Array.from(idx, (i) => labels[i]!) };
  }
}

/** Runs the augmentation hook on a batch and checks what it returns. */
function augmentBatch(
  augment: AugmentHook,
  batch: HostBatch,
  at: StepPosition,
  stepSeed: number,
): tf.Tensor {
  const context: AugmentContext = {
    epoch: at.epoch,
    step: at.step,
    labels: batch.labels,
    random: new Random(stepSeed),
  };
  const augmented = augment(batch.x, context);
  if (!isTensor(augmented) || !augmented.shape.every((d, i) => d === batch.x.shape[i])) {
    throw new ShapeError(
      `${FN}: \`augment\` must return a tensor of the batch's shape ${formatShape(batch.x.shape)}. Received: ${describeValue(augmented)}.`,
    );
  }
  return augmented;
}

interface HostBatch {
  x: tf.Tensor;
  labels: Int32Array;
}

/** Batches of in-memory samples in a seeded order. */
function* memoryBatches(
  x: tf.Tensor,
  labels: Int32Array,
  plan: BatchPlan,
  rng: Random,
): Generator<HostBatch> {
  for (const idx of epochBatches(plan, rng)) {
    const [xb] = gatherRows([x], idx);
    yield { x: xb!, labels: Int32Array.from(idx, (i) => labels[i]!) };
  }
}

/** Batches of a streamed dataset, checked one by one. */
async function* streamBatches(
  data: StreamedData,
  inputShape: (number | null)[],
  numClasses: number,
): AsyncGenerator<HostBatch> {
  const iterable = typeof data === 'function' ? data() : data;
  let index = 0;
  for await (const batch of iterable) {
    index++;
    const what = `streamed batch ${index}`;
    try {
      const x = checkInputs(batch?.x, inputShape, `${what} \`x\``);
      const labels = await readLabels(batch.y, x.shape[0]!, numClasses, `${what} \`y\``);
      await checkFinite(x, `${FN}: ${what} \`x\``);
      if (isTensor(batch.y)) batch.y.dispose();
      let xf = x;
      if (x.dtype !== 'float32') {
        xf = tf.cast(x, 'float32');
        x.dispose();
      }
      yield { x: xf, labels };
    } catch (e) {
      if (batch && isTensor(batch.x)) batch.x.dispose();
      if (batch && isTensor(batch.y)) batch.y.dispose();
      throw e;
    }
  }
}
