/**
 * What `model.compile` was given (optimizer, loss, metrics), as JSON that survives a save, and
 * back. tfjs-layers stores a training config only for string losses; the library's losses carry
 * `{ name, options }` configs instead, kept here in `userDefinedMetadata`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FormatError } from '../core/errors.js';
import { isMedkitLoss, type LossConfig, lossFromConfig } from '../losses/loss-config.js';

/** A library loss or metric as stored: its {@link LossConfig}. */
export interface StoredMedkitLoss {
  /** The loss's name and options. */
  medkit: LossConfig;
}

/** A loss or metric as stored: a tfjs-layers name (`'accuracy'`) or a library loss's config. */
export type StoredLossOrMetric = string | StoredMedkitLoss;

/** An optimizer as stored: what tfjs's serialization needs to rebuild it. */
export interface StoredOptimizer {
  /** The optimizer's registered class name (`'Adam'`). */
  className: string;
  /** Its `getConfig()` (learning rate, betas, …). */
  config: tf.serialization.ConfigDict;
}

/** The compile arguments of a model, as stored in its `model.json`. */
export interface StoredTrainingConfig {
  /** The optimizer's class name and `getConfig()`. */
  optimizer: StoredOptimizer;
  /** The loss, or one per output. */
  loss: StoredLossOrMetric | StoredLossOrMetric[];
  /** The metrics. */
  metrics: StoredLossOrMetric[];
}

type LossOrMetric = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

function store(item: unknown): StoredLossOrMetric | undefined {
  if (typeof item === 'string') return item;
  if (isMedkitLoss(item)) return { medkit: item.config };
  return undefined;
}

/**
 * The model's compile arguments as JSON, or a reason why they cannot be stored (not compiled,
 * or a loss or metric that is a plain function).
 *
 * @internal
 */
export function describeTraining(
  model: tfl.LayersModel,
): StoredTrainingConfig | { unsupported: string } {
  const optimizer = (model as { optimizer?: tf.Optimizer }).optimizer;
  if (!optimizer) return { unsupported: 'the model is not compiled' };
  const rawLoss = model.loss as unknown;
  const losses = Array.isArray(rawLoss) ? rawLoss.map(store) : [store(rawLoss)];
  if (losses.some((l) => l === undefined)) {
    return { unsupported: 'its loss is a plain function; use createLoss() so it can be stored' };
  }
  const rawMetrics = (model as { metrics?: unknown }).metrics;
  const metricList: unknown[] =
    rawMetrics === undefined ? [] : Array.isArray(rawMetrics) ? rawMetrics : [rawMetrics];
  const metrics = metricList.map(store);
  if (metrics.some((m) => m === undefined)) {
    return { unsupported: 'a metric is a plain function; use a metric name or createLoss()' };
  }
  return {
    optimizer: { className: optimizer.getClassName(), config: optimizer.getConfig() },
    loss: Array.isArray(rawLoss) ? (losses as StoredLossOrMetric[]) : losses[0]!,
    metrics: metrics as StoredLossOrMetric[],
  };
}

function restore(item: StoredLossOrMetric): LossOrMetric {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object' && 'medkit' in item) return lossFromConfig(item.medkit);
  throw new FormatError(
    `model.json: a stored loss or metric is neither a name nor { medkit: config }.`,
  );
}

/**
 * Compiles `model` from a stored training config: the optimizer rebuilt from its class name and
 * config, the losses and metrics from their names or configs.
 *
 * @throws {@link FormatError} when the config is malformed or names an unknown optimizer.
 * @internal
 */
export function compileFromConfig(model: tfl.LayersModel, stored: StoredTrainingConfig): void {
  const className = stored?.optimizer?.className;
  const entry =
    typeof className === 'string'
      ? tf.serialization.SerializationMap.getMap().classNameMap[className]
      : undefined;
  if (!entry)
    throw new FormatError(`model.json: unknown optimizer class ${JSON.stringify(className)}.`);
  const [cls, fromConfig] = entry;
  const optimizer = fromConfig(cls, stored.optimizer.config ?? {}) as tf.Optimizer;
  const loss = Array.isArray(stored.loss) ? stored.loss.map(restore) : restore(stored.loss);
  const metrics = (stored.metrics ?? []).map(restore);
  model.compile({ optimizer, loss: loss as never, metrics: metrics as never });
}
