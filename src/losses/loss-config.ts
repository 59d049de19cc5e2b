/**
 * The library's losses as configurable functions for `model.compile`, which keep their options
 * through save and load: tfjs-layers cannot serialise a function loss, so each carries a
 * `{ name, options }` config that the library's `saveModel` stores and `loadModel` rebuilds from
 * (Keras's `Loss.get_config()` / `from_config()`).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import { isTensor } from '../core/tensors.js';
import { argName, type OptionSpecs, resolveOptions } from '../core/validate.js';
import { sigmoidFocalLoss, softmaxFocalLoss, sparseSoftmaxFocalLoss } from './focal-loss.js';
import {
  CROSS_ENTROPY_SPECS,
  type CrossEntropyOptions,
  FOCAL_SPECS,
  type FocalOptions,
  PROBABILITY_SPECS,
  type ProbabilityCrossEntropyOptions,
  SIGMOID_SPECS,
  type SigmoidCrossEntropyOptions,
  SPARSE_SPECS,
  type SparseCrossEntropyOptions,
} from './options.js';
import {
  binaryCrossEntropy,
  categoricalCrossEntropy,
  sparseCategoricalCrossEntropy,
} from './probability-cross-entropy.js';
import { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
import { softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from './softmax-cross-entropy.js';

type LossFunction = (labels: tf.Tensor, predictions: tf.Tensor, options?: never) => tf.Tensor;

/** Each serialisable loss: its function and its option table. */
const REGISTRY: Record<LossName, { fn: LossFunction; specs: OptionSpecs<object> }> = {
  softmaxCrossEntropy: { fn: softmaxCrossEntropy, specs: CROSS_ENTROPY_SPECS },
  sparseSoftmaxCrossEntropy: { fn: sparseSoftmaxCrossEntropy, specs: SPARSE_SPECS },
  sigmoidCrossEntropy: { fn: sigmoidCrossEntropy, specs: SIGMOID_SPECS },
  categoricalCrossEntropy: {
    fn: categoricalCrossEntropy,
    specs: { ...CROSS_ENTROPY_SPECS, ...PROBABILITY_SPECS },
  },
  sparseCategoricalCrossEntropy: {
    fn: sparseCategoricalCrossEntropy,
    specs: { ...SPARSE_SPECS, ...PROBABILITY_SPECS },
  },
  binaryCrossEntropy: { fn: binaryCrossEntropy, specs: { ...SIGMOID_SPECS, ...PROBABILITY_SPECS } },
  sigmoidFocalLoss: { fn: sigmoidFocalLoss, specs: { ...SIGMOID_SPECS, ...FOCAL_SPECS } },
  softmaxFocalLoss: { fn: softmaxFocalLoss, specs: { ...CROSS_ENTROPY_SPECS, ...FOCAL_SPECS } },
  sparseSoftmaxFocalLoss: {
    fn: sparseSoftmaxFocalLoss,
    specs: { ...SPARSE_SPECS, ...FOCAL_SPECS },
  },
};

/** The option object of each of the library's losses, by name. */
export interface LossOptionsMap {
  /** {@link softmaxCrossEntropy}'s options. */
  softmaxCrossEntropy: CrossEntropyOptions;
  /** {@link sparseSoftmaxCrossEntropy}'s options. */
  sparseSoftmaxCrossEntropy: SparseCrossEntropyOptions;
  /** {@link sigmoidCrossEntropy}'s options. */
  sigmoidCrossEntropy: SigmoidCrossEntropyOptions;
  /** {@link categoricalCrossEntropy}'s options. */
  categoricalCrossEntropy: CrossEntropyOptions & ProbabilityCrossEntropyOptions;
  /** {@link sparseCategoricalCrossEntropy}'s options. */
  sparseCategoricalCrossEntropy: SparseCrossEntropyOptions & ProbabilityCrossEntropyOptions;
  /** {@link binaryCrossEntropy}'s options. */
  binaryCrossEntropy: SigmoidCrossEntropyOptions & ProbabilityCrossEntropyOptions;
  /** {@link sigmoidFocalLoss}'s options. */
  sigmoidFocalLoss: SigmoidCrossEntropyOptions & FocalOptions;
  /** {@link softmaxFocalLoss}'s options. */
  softmaxFocalLoss: CrossEntropyOptions & FocalOptions;
  /** {@link sparseSoftmaxFocalLoss}'s options. */
  sparseSoftmaxFocalLoss: SparseCrossEntropyOptions & FocalOptions;
}

/** The name of one of the library's losses. */
export type LossName = keyof LossOptionsMap;

/** The option object of the loss called `N`. */
export type LossOptions<N extends LossName> = LossOptionsMap[N];

/** A JSON value: what a loss config may hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A loss's serialisable description: its name and its options as plain JSON. */
export interface LossConfig {
  /** One of {@link LossName}. */
  readonly name: LossName;
  /** The options given at creation, tensors turned into arrays. */
  readonly options: Readonly<Record<string, JsonValue>>;
}

/**
 * A loss ready for `model.compile({ loss })`: called as `(yTrue, yPred)`, it returns the reduced
 * loss; `config` describes it for saving.
 */
export interface MedkitLoss {
  /** Computes the loss of a batch. */
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The loss's name and options, as `saveModel` stores them. */
  readonly config: LossConfig;
}

/** The names of the library's serialisable losses. */
export const LOSS_NAMES: readonly LossName[] = Object.keys(REGISTRY) as LossName[];

/** Turns option values into JSON (tensors become nested arrays: a one-off read at creation). */
function toJson(fn: string, key: string, value: unknown): JsonValue {
  if (isTensor(value)) return value.arraySync() as JsonValue;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
    return value as JsonValue;
  if (Array.isArray(value)) return value.map((v) => toJson(fn, key, v));
  throw new ArgumentError(
    `${argName(fn, key)} cannot be stored in a loss config. Received: ${describeValue(value)}.`,
  );
}

/**
 * Creates a configurable loss for `model.compile`, with fixed options that survive
 * `saveModel`/`loadModel`.
 *
 * The returned function applies the named loss with `options` to `(yTrue, yPred)`. Its options
 * are checked now, so a bad option fails at compile time rather than in the first batch.
 * `sampleWeights` cannot be fixed in a compiled loss (they change with each batch).
 *
 * @param name - one of {@link LossName}.
 * @param options - that loss's options.
 * @returns a {@link MedkitLoss}.
 * @throws {@link ArgumentError} for an unknown name, a bad option, or `sampleWeights`.
 *
 * @example
 * ```ts
 * model.compile({
 *   optimizer: 'adam',
 *   loss: createLoss('softmaxCrossEntropy', { labelSmoothing: 0.1, classWeights: [1, 3] }),
 * });
 * ```
 */
export function createLoss<N extends LossName>(name: N, options?: LossOptions<N>): MedkitLoss {
  const entry = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (!entry) {
    throw new ArgumentError(
      `createLoss: \`name\` must be one of ${LOSS_NAMES.join(', ')}. Received: ${describeValue(name)}.`,
    );
  }
  resolveOptions(name, options as object | undefined, entry.specs);
  const stored: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (key === 'sampleWeights') {
      throw new ArgumentError(
        `createLoss: \`sampleWeights\` cannot be fixed in a compiled loss: they change with each batch.`,
      );
    }
    stored[key] = toJson(name, key, value);
  }
  const config: LossConfig = Object.freeze({ name, options: Object.freeze(stored) });
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
    entry.fn(yTrue, yPred, config.options as never);
  Object.defineProperty(loss, 'name', { value: name });
  return Object.assign(loss, { config });
}

/**
 * Rebuilds a loss from its {@link LossConfig} (as stored by `saveModel`).
 *
 * @throws {@link ArgumentError} when the config is not one `createLoss` made.
 *
 * @example
 * ```ts
 * const loss = lossFromConfig({ name: 'sigmoidCrossEntropy', options: { posWeight: [3] } });
 * ```
 */
export function lossFromConfig(config: LossConfig): MedkitLoss {
  if (typeof config !== 'object' || config === null || typeof config.name !== 'string') {
    throw new ArgumentError(
      `lossFromConfig: \`config\` must be { name, options }. Received: ${describeValue(config)}.`,
    );
  }
  const options = config.options ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(
      `lossFromConfig: \`config.options\` must be an object. Received: ${describeValue(options)}.`,
    );
  }
  return createLoss(config.name, options as never);
}

/** True when `fn` is a loss made by {@link createLoss} (it carries a {@link LossConfig}). */
export function isMedkitLoss(fn: unknown): fn is MedkitLoss {
  if (typeof fn !== 'function') return false;
  const config = (fn as { config?: unknown }).config;
  return (
    typeof config === 'object' &&
    config !== null &&
    typeof (config as LossConfig).name === 'string' &&
    Object.hasOwn(REGISTRY, (config as LossConfig).name)
  );
}
