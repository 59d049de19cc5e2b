/**
 * The two numerically stable primitives every cross-entropy in the library is built from:
 * {@link logSoftmax} and {@link logSigmoid}, each with its own gradient.
 *
 * Why custom gradients: differentiating the stable forms op by op routes gradient through `max`
 * and `abs`, which is wrong exactly at ties and at zero (tfjs gives all tied maxima the full
 * gradient; |z|' at 0 is 0). The closed forms below are exact everywhere and stay finite for
 * logits of any size.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core keeps its gradient functions in a side-effect module that only the union package and
// tfjs-layers import; with tfjs-core alone, `tf.grad` of these losses fails ("gradient function
// not found for Sum"). tfjs-layers, the other peer dependency, registers all of them in each of
// its builds. A bare import of an external package in a module that is used survives
// tree-shaking (the package itself is `sideEffects: false`).
import '@tensorflow/tfjs-layers';
import { LOG_SIGMOID } from '../core/kernel-names.js';

/*
 * log(1 + x) accurate for tiny x on every backend (wasm's Log1p is log(1 + x) and returns 0 for
 * x < 6e-8). Kahan's trick: with u = fl(1 + x), log1p(x) = log(u) · x / (u − 1), exact to a few
 * ulps; when u rounds to 1, log1p(x) = x to working precision. Only used inside custom-gradient
 * ops, so the masked branch's 0/0 never reaches a gradient.
 */
function log1p(x: tf.Tensor): tf.Tensor {
  const u = tf.add(x, 1);
  const d = tf.sub(u, 1);
  return tf.where(tf.equal(d, 0), x, tf.mul(tf.log(u), tf.div(x, d)));
}

/*
 * log-softmax without cancellation.
 *
 *   log p_c = (z_c − m) − log Σ_k exp(z_k − m),   m = max_k z_k.
 *
 * The maximum contributes exp(0) = 1 to the sum (t times when t logits tie for it), so
 *
 *   log Σ_k exp(z_k − m) = log1p( (t − 1) + Σ_{k : z_k < m} exp(z_k − m) ).
 *
 * With log1p the loss of a confident, correct prediction keeps its digits: for logits (100, 80)
 * the true loss is 2.06e-9; `z − logSumExp(z)` in float32 gives 0, this gives 2.06e-9.
 *
 * Gradient: ∂ log p_c / ∂ z_k = δ_ck − p_k, so  ∂L/∂z = dy − p · Σ_c dy_c.
 */
const logSoftmaxOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const z = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const m = tf.max(z, -1, true);
  const shifted = tf.sub(z, m);
  const below = tf.cast(tf.less(shifted, 0), 'float32');
  const rest = tf.sum(tf.mul(tf.exp(shifted), below), -1, true);
  const ties = tf.sum(tf.cast(tf.equal(shifted, 0), 'float32'), -1, true);
  const value = tf.sub(shifted, log1p(tf.add(rest, tf.sub(ties, 1))));
  save([value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const p = tf.exp(saved[0]!);
      return tf.sub(dy, tf.mul(p, tf.sum(dy, -1, true)));
    },
  };
});

/**
 * Log-probabilities of a softmax over the last axis, computed without cancellation and with an
 * exact gradient (see the derivation above the implementation).
 *
 * `log p_c = (z_c − max z) − log Σ_k exp(z_k − max z)`
 *
 * @param logits - a float32 tensor of rank ≥ 1; classes on the last axis.
 * @returns a tensor of the same shape.
 *
 * @example
 * ```ts
 * logSoftmax(tf.tensor2d([[100, 80]])).print(); // [[-2.0611537e-09, -20]]
 * ```
 */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  return logSoftmaxOp(logits);
}

/*
 * log σ(z) = −softplus(−z) = −( max(−z, 0) + log1p(exp(−|z|)) ).
 * Both terms are ≥ 0, so nothing cancels; log1p keeps the tail (log σ(20) = −2.06e-9).
 * Gradient: d/dz log σ(z) = 1 − σ(z) = σ(−z), exact at 0 too.
 */
const logSigmoidOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const z = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const value = tf.neg(tf.add(tf.relu(tf.neg(z)), log1p(tf.exp(tf.neg(tf.abs(z))))));
  save([z]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sigmoid(tf.neg(saved[0]!))),
  };
});

/**
 * `log σ(z)` elementwise, stable for any z, with an exact gradient `σ(−z)`.
 *
 * @param logits - a float32 tensor.
 * @returns a tensor of the same shape.
 *
 * @example
 * ```ts
 * logSigmoid(tf.tensor1d([20, 0, -1e4])).print(); // [-2.0611537e-09, -0.6931472, -10000]
 * ```
 */
export function logSigmoid(logits: tf.Tensor): tf.Tensor {
  if (oneCallLogSigmoid(logits))
    return tf.engine().runKernel(LOG_SIGMOID, { z: logits }, {}) as tf.Tensor;
  return logSigmoidOp(logits);
}

/**
 * True where log σ runs as one kernel call each way (registerTrainingKernels registers it on cpu
 * and wasm): float32 logits, and not inside a gradient of a gradient, whose backward pass must
 * itself be differentiable.
 */
function oneCallLogSigmoid(logits: tf.Tensor): boolean {
  const depth = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth;
  return (
    logits.dtype === 'float32' &&
    depth <= 1 &&
    tf.getKernel(LOG_SIGMOID, tf.getBackend()) !== undefined &&
    tf.getGradient(LOG_SIGMOID) !== undefined
  );
}

/** log σ(z) composed of tfjs ops, whatever the backend registers (for tests). @internal */
export function logSigmoidComposed(logits: tf.Tensor): tf.Tensor {
  return logSigmoidOp(logits);
}
