/**
 * The gradient-transform hook: functions that stand between a step's gradients and the
 * optimizer (clipping, noise, freezing masks, per-group learning rates), and the step that runs
 * them.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import type { Random } from '../core/random.js';

/** What a {@link GradientTransform} is told about the step it transforms. */
export interface GradientContext {
  /** The epoch, 1-based. */
  epoch: number;
  /** The step within the epoch, 1-based. */
  step: number;
  /** The variables being trained, by name (the keys of the gradient map). */
  variables: Readonly<Record<string, tf.Variable>>;
  /** A generator seeded from the run's seed and the step: same seed, same draws. */
  random: Random;
}

/**
 * A transform of one step's gradients, keyed by variable name: it returns the gradients the
 * optimizer applies. It may return new tensors (the trainer disposes them after the step, and the
 * inputs it did not pass on), leave a variable out (it then does not change this step), or
 * return its input. Transforms run inside `tf.tidy`, so intermediates need no disposing.
 */
export type GradientTransform = (
  gradients: Readonly<tf.NamedTensorMap>,
  context: GradientContext,
) => tf.NamedTensorMap;

/**
 * Checks a trainer's `transformGradients` option: one function or a list of them.
 *
 * @internal
 */
export function resolveTransforms(
  fn: string,
  value: GradientTransform | readonly GradientTransform[] | undefined,
): GradientTransform[] {
  if (value === undefined) return [];
  const list = typeof value === 'function' ? [value] : value;
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'function')) {
    throw new ArgumentError(
      `${fn}: \`transformGradients\` must be a function or an array of functions (gradients, context) => gradients. Received: ${describeValue(value)}.`,
    );
  }
  return [...list];
}

/**
 * One optimisation step: minimises `loss` over `variables`, passing the gradients through
 * `transforms` first. With no transforms it is `optimizer.minimize` itself (the same numbers);
 * with some, the gradients come from `tf.variableGrads` and go to `optimizer.applyGradients`.
 * Returns the loss before the update (a scalar the caller disposes).
 *
 * @throws {@link ArgumentError} when a transform returns a name that is not a trained variable,
 *   or a gradient whose shape differs from its variable's.
 * @internal
 */
export function optimizeStep(
  fn: string,
  optimizer: tf.Optimizer,
  loss: () => tf.Scalar,
  variables: readonly tf.Variable[],
  transforms: readonly GradientTransform[],
  context: () => Omit<GradientContext, 'variables'>,
): tf.Scalar {
  if (transforms.length === 0) return optimizer.minimize(loss, true, [...variables])!;
  const { value, grads } = tf.variableGrads(loss, [...variables]);
  applyGradients(fn, optimizer, grads, variables, transforms, context);
  return value;
}

/**
 * Passes `gradients` (which it then owns and frees) through `transforms` and applies the result
 * with `optimizer`.
 *
 * @internal
 */
export function applyGradients(
  fn: string,
  optimizer: tf.Optimizer,
  gradients: tf.NamedTensorMap,
  variables: readonly tf.Variable[],
  transforms: readonly GradientTransform[],
  context: () => Omit<GradientContext, 'variables'>,
): void {
  const byName: Record<string, tf.Variable> = {};
  for (const v of variables) byName[v.name] = v;
  let current: tf.NamedTensorMap = gradients;
  try {
    if (transforms.length > 0) {
      const ctx: GradientContext = { ...context(), variables: byName };
      for (const transform of transforms) {
        const next = tf.tidy(() => {
          const out = transform(current, ctx);
          checkGradients(fn, out, byName);
          return out;
        });
        const kept = new Set(Object.values(next));
        for (const t of Object.values(current)) if (!kept.has(t)) t.dispose();
        current = next;
      }
    }
    if (Object.keys(current).length > 0) optimizer.applyGradients(current);
  } finally {
    tf.dispose(Object.values(current));
  }
}

function checkGradients(
  fn: string,
  out: unknown,
  variables: Readonly<Record<string, tf.Variable>>,
): asserts out is tf.NamedTensorMap {
  if (typeof out !== 'object' || out === null || Array.isArray(out)) {
    throw new ArgumentError(
      `${fn}: a gradient transform must return an object of gradients by variable name. Received: ${describeValue(out)}.`,
    );
  }
  for (const [name, g] of Object.entries(out)) {
    const v = variables[name];
    if (v === undefined) {
      throw new ArgumentError(
        `${fn}: a gradient transform returned a gradient for '${name}', which is not a trained variable.`,
      );
    }
    if (!(g instanceof tf.Tensor) || g.shape.join() !== v.shape.join()) {
      throw new ArgumentError(
        `${fn}: a gradient transform must return a tensor of the variable's shape [${v.shape.join(', ')}] for '${name}'. Received: ${describeValue(g)}.`,
      );
    }
  }
}
