/**
 * Freezing for fine-tuning: layers chosen by name, stage or predicate stop training, and frozen
 * batch normalisation runs in inference mode (its moving statistics stay as they were, and it
 * normalises with them rather than with the batch's). tfjs-layers leaves a `trainable = false`
 * batch-norm layer normalising with each training batch's statistics; the library's `freeze`
 * makes it behave as Keras 2 and PyTorch's `eval()` do.
 *
 * @module
 */

import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { flatLayers } from '../core/model-layers.js';

/**
 * Which layers: `until` a layer or stage (every layer from the input up to and including the
 * last one named `until` or `until.…`, e.g. `'layer3'` for torchvision's ResNet stage 3),
 * `layers` by name or stage prefix, or `where` a predicate. With none of them, every layer.
 */
export interface LayerSelector {
  /** Every layer up to and including this layer or stage (`name` or `name.…`). */
  until?: string;
  /** These layers, by name or stage prefix (`'layer4'` selects `layer4.0.conv1`, …). */
  layers?: readonly string[];
  /** The layers for which this returns true. */
  where?: (layer: tfl.layers.Layer) => boolean;
}

const frozenNorms = new WeakSet<object>();

/** True for a batch-norm layer `freeze` set to inference mode. @internal */
export function isFrozenBatchNorm(layer: tfl.layers.Layer): boolean {
  return frozenNorms.has(layer);
}

const inStage = (name: string, stage: string) =>
  name === stage || name.startsWith(`${stage}.`) || name.startsWith(`${stage}_`);

/**
 * The layers a selector picks, in model order.
 *
 * @throws {@link ArgumentError} for a selector naming no layer, or a bad selector.
 * @internal
 */
export function selectLayers(
  fn: string,
  model: tfl.LayersModel,
  selector: LayerSelector = {},
): tfl.layers.Layer[] {
  if (!(model instanceof tfl.LayersModel)) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model. Received: ${describeValue(model)}.`,
    );
  }
  if (typeof selector !== 'object' || selector === null) {
    throw new ArgumentError(
      `${fn}: the selector must be { until }, { layers } or { where }. Received: ${describeValue(selector)}.`,
    );
  }
  const keys = Object.keys(selector).filter(
    (k) => (selector as Record<string, unknown>)[k] !== undefined,
  );
  const unknown = keys.filter((k) => !['until', 'layers', 'where'].includes(k));
  if (unknown.length > 0 || keys.length > 1) {
    throw new ArgumentError(
      `${fn}: give one of \`until\`, \`layers\` and \`where\`. Received: ${keys.map((k) => `\`${k}\``).join(', ')}.`,
    );
  }
  const layers = flatLayers(model);
  if (selector.until !== undefined) {
    const last = layers.map((l) => inStage(l.name, selector.until!)).lastIndexOf(true);
    if (last < 0) throw new ArgumentError(`${fn}: no layer or stage is named '${selector.until}'.`);
    return layers.slice(0, last + 1);
  }
  if (selector.layers !== undefined) {
    if (!Array.isArray(selector.layers)) {
      throw new ArgumentError(
        `${fn}: \`layers\` must be an array of layer or stage names. Received: ${describeValue(selector.layers)}.`,
      );
    }
    for (const name of selector.layers) {
      if (!layers.some((l) => inStage(l.name, name)))
        throw new ArgumentError(`${fn}: no layer or stage is named '${name}'.`);
    }
    return layers.filter((l) => selector.layers!.some((name) => inStage(l.name, name)));
  }
  if (selector.where !== undefined) {
    if (typeof selector.where !== 'function') {
      throw new ArgumentError(
        `${fn}: \`where\` must be a function of a layer. Received: ${describeValue(selector.where)}.`,
      );
    }
    return layers.filter((l) => selector.where!(l));
  }
  return layers;
}

/**
 * Freezes layers: their weights stop training (`trainable = false`), and frozen batch
 * normalisation runs in inference mode, normalising with its moving statistics and leaving them
 * unchanged. Returns the frozen layers' names.
 *
 * A frozen batch-norm layer's inference mode lives on the layer object: a model saved and loaded
 * again keeps `trainable: false` but not the mode; call `freeze` again after loading.
 *
 * @param model - the model (changed in place).
 * @param selector - which layers; see {@link LayerSelector}. Defaults to every layer.
 * @throws {@link ArgumentError} for a selector naming no layer.
 * @example
 * ```ts
 * freeze(model, { until: 'layer3' }); // torchvision ResNet: train layer4 and fc only
 * freeze(model, { where: (l) => l.getClassName() === 'BatchNormalization' });
 * ```
 */
export function freeze(model: tfl.LayersModel, selector?: LayerSelector): string[] {
  const chosen = selectLayers('freeze', model, selector);
  for (const layer of chosen) {
    layer.trainable = false;
    if (layer.getClassName() === 'BatchNormalization' && !frozenNorms.has(layer)) {
      const call = Object.getPrototypeOf(layer).call as (
        inputs: unknown,
        kwargs: Record<string, unknown>,
      ) => unknown;
      (layer as unknown as { call: unknown }).call = function inferenceMode(
        inputs: unknown,
        kwargs: Record<string, unknown>,
      ) {
        return call.call(this, inputs, { ...(kwargs ?? {}), training: false });
      };
      frozenNorms.add(layer);
    }
  }
  return chosen.map((l) => l.name);
}

/**
 * Unfreezes layers: they train again, batch normalisation in training mode. Returns their names.
 *
 * @param model - the model (changed in place).
 * @param selector - which layers; see {@link LayerSelector}. Defaults to every layer.
 * @throws {@link ArgumentError} for a selector naming no layer.
 * @example
 * ```ts
 * unfreeze(model, { layers: ['layer4'] });
 * ```
 */
export function unfreeze(model: tfl.LayersModel, selector?: LayerSelector): string[] {
  const chosen = selectLayers('unfreeze', model, selector);
  for (const layer of chosen) {
    layer.trainable = true;
    if (frozenNorms.has(layer)) {
      delete (layer as unknown as { call?: unknown }).call;
      frozenNorms.delete(layer);
    }
  }
  return chosen.map((l) => l.name);
}

/** One group of {@link LearningRateGroup}s, resolved to its variables. @internal */
export interface ResolvedGroup {
  variables: tf.Variable[];
  multiplier: number;
}

/** A group of layers trained at a multiple of the learning rate. */
export interface LearningRateGroup {
  /** The group's layers. */
  layers: LayerSelector;
  /** The multiple of the run's learning rate (e.g. 10 for a new head, 0.1 for a backbone), > 0. */
  multiplier: number;
}

/**
 * Resolves learning-rate groups to their trainable variables (a variable in several groups takes
 * the first one's multiplier).
 *
 * @throws {@link ArgumentError} for a bad group.
 * @internal
 */
export function resolveLearningRateGroups(
  fn: string,
  model: tfl.LayersModel,
  groups: readonly LearningRateGroup[] | undefined,
): ResolvedGroup[] {
  if (groups === undefined) return [];
  if (!Array.isArray(groups)) {
    throw new ArgumentError(
      `${fn}: \`learningRateGroups\` must be an array of { layers, multiplier }. Received: ${describeValue(groups)}.`,
    );
  }
  const seen = new Set<string>();
  return groups.map((g, i) => {
    if (typeof g?.multiplier !== 'number' || !Number.isFinite(g.multiplier) || g.multiplier <= 0) {
      throw new ArgumentError(
        `${fn}: \`learningRateGroups[${i}].multiplier\` must be a positive number. Received: ${describeValue(g?.multiplier)}.`,
      );
    }
    const variables: tf.Variable[] = [];
    for (const layer of selectLayers(fn, model, g.layers)) {
      for (const w of layer.weights) {
        const v = w.read() as tf.Variable;
        if (seen.has(v.name)) continue;
        seen.add(v.name);
        variables.push(v);
      }
    }
    return { variables, multiplier: g.multiplier };
  });
}

/**
 * Runs `apply` (an optimizer step) and scales each group's update by its multiplier:
 * w ← w_before + m·(w_after − w_before). Every tfjs optimizer's update is proportional to its
 * learning rate (the state it keeps is not), so this is the step at m times the rate, for SGD,
 * momentum, RMSProp and Adam alike. @internal
 */
export function withGroupRates<T>(groups: readonly ResolvedGroup[], apply: () => T): T {
  const saved: [tf.Variable, tf.Tensor, number][] = [];
  for (const g of groups) {
    if (g.multiplier === 1) continue;
    for (const v of g.variables) if (v.trainable) saved.push([v, tfc.clone(v), g.multiplier]);
  }
  try {
    const out = apply();
    tfc.tidy(() => {
      for (const [v, before, m] of saved) v.assign(tfc.add(before, tfc.mul(tfc.sub(v, before), m)));
    });
    return out;
  } finally {
    tfc.dispose(saved.map(([, before]) => before));
  }
}

/** One step of gradual unfreezing: at the start of `epoch`, these layers train again. */
export interface UnfreezeStep {
  /** The epoch (1-based) at whose start the layers are unfrozen. */
  epoch: number;
  /** Which layers. */
  layers: LayerSelector;
}
