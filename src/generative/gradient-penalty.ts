/**
 * Gradient penalties that keep a critic well behaved: WGAN-GP's (Gulrajani et al. 2017), the
 * squared distance of the critic's input-gradient norm from 1 at random interpolates of real and
 * generated samples, and R1 (Mescheder et al. 2018), the squared gradient norm at real samples.
 * Both are differentiable with respect to the critic's weights (double backpropagation), so they
 * go into the critic's loss inside `optimizer.minimize`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of the ops below
import { requireSecondOrderGradients } from '../backend/second-order-gradients.js';
import { ArgumentError, type BackendError, describeValue, ShapeError } from '../core/errors.js';
import { Random, type Seed } from '../core/random.js';
import { formatShape, isTensor } from '../core/tensors.js';
import { resolveOptions } from '../core/validate.js';

/** Anything with tfjs-layers' `apply` (a model or a layer). */
export interface AppliesToTensors {
  /** Runs the model on `x` (called with `{ training: true }`). */
  apply(x: tf.Tensor, kwargs?: object): unknown;
}

/** A critic: a function from a batch to one logit per sample, or a tfjs-layers model. */
export type Critic = ((x: tf.Tensor) => tf.Tensor) | AppliesToTensors;

/** Options of {@link gradientPenalty}. */
export interface GradientPenaltyOptions {
  /** The seed of the interpolation weights ε ~ U(0, 1), one per sample. Defaults to 0. */
  seed?: Seed;
  /** Interpolation weights given explicitly (one per sample), instead of drawing them. */
  epsilon?: readonly number[];
}

function callCritic(critic: Critic, x: tf.Tensor): tf.Tensor {
  const out =
    typeof critic === 'function' ? critic(x) : (critic.apply(x, { training: true }) as tf.Tensor);
  if (!isTensor(out))
    throw new ArgumentError(
      `gradientPenalty: the critic must return a tensor of logits. Received: ${describeValue(out)}.`,
    );
  return out;
}

/** The per-sample L2 norm of the critic's gradient with respect to its input, at x. */
function inputGradientNorms(critic: Critic, x: tf.Tensor, squared: boolean): tf.Tensor {
  const grad = tf.grad((input: tf.Tensor) => tf.sum(callCritic(critic, input)) as tf.Scalar)(x);
  const axes = grad.shape.slice(1).map((_, i) => i + 1);
  const sq = tf.sum(tf.square(grad), axes);
  return squared ? sq : tf.sqrt(tf.add(sq, 1e-12));
}

/**
 * WGAN-GP's gradient penalty, mean over the batch of (‖∇ₓ̂ D(x̂)‖₂ − 1)², at
 * x̂ = ε·real + (1 − ε)·fake with one ε ~ U(0, 1) per sample. Multiply by λ (10 in the paper)
 * and add to the critic's loss.
 *
 * @param critic - the critic (a function of a batch, or a tfjs-layers model).
 * @param real - real samples `[n, …]`.
 * @param fake - generated samples of the same shape.
 * @param options - see {@link GradientPenaltyOptions}.
 * @returns a scalar tensor, differentiable with respect to the critic's weights.
 * @throws {@link ShapeError} when `real` and `fake` differ in shape; {@link ArgumentError} for
 *   `epsilon` of the wrong length or outside [0, 1]; {@link BackendError} before
 *   `registerSecondOrderGradients()` has run.
 *
 * @example
 * ```ts
 * registerSecondOrderGradients(); // once, before training
 * const dLoss = tf.add(loss.discriminator(critic(real), critic(fake)), tf.mul(10, gradientPenalty(critic, real, fake, { seed: step })));
 * ```
 */
export function gradientPenalty(
  critic: Critic,
  real: tf.Tensor,
  fake: tf.Tensor,
  options?: GradientPenaltyOptions,
): tf.Scalar {
  const fn = 'gradientPenalty';
  requireSecondOrderGradients(fn);
  const o = resolveOptions(fn, options, {
    seed: { constraint: { kind: 'seed' }, default: 0 },
    epsilon: { constraint: { kind: 'any' } },
  });
  if (!isTensor(real) || !isTensor(fake))
    throw new ArgumentError(`${fn}: \`real\` and \`fake\` must be tensors.`);
  if (real.shape.join() !== fake.shape.join() || real.rank < 2) {
    throw new ShapeError(
      `${fn}: \`real\` and \`fake\` must be batches of the same shape. Received: ${formatShape(real.shape)} and ${formatShape(fake.shape)}.`,
    );
  }
  const n = real.shape[0]!;
  let eps: number[];
  if (o.epsilon !== undefined) {
    eps = Array.isArray(o.epsilon) ? [...o.epsilon] : [];
    if (eps.length !== n || !eps.every((e) => e >= 0 && e <= 1)) {
      throw new ArgumentError(
        `${fn}: \`epsilon\` must hold ${n} numbers in [0, 1]. Received: ${describeValue(o.epsilon)}.`,
      );
    }
  } else {
    const rng = new Random(o.seed);
    eps = Array.from({ length: n }, () => rng.nextFloat());
  }
  return tf.tidy(() => {
    const e = tf.reshape(tf.tensor1d(eps), [n, ...real.shape.slice(1).map(() => 1)]);
    const xhat = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake));
    const norms = inputGradientNorms(critic, xhat, false);
    return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
  });
}

/**
 * The R1 penalty, mean over the batch of ‖∇ₓ D(x)‖₂² at real samples. Multiply by γ/2 and add to
 * the discriminator's loss.
 *
 * @param critic - the critic.
 * @param real - real samples `[n, …]`.
 * @returns a scalar tensor, differentiable with respect to the critic's weights.
 * @throws {@link ArgumentError} for a non-tensor or a batch without a sample axis;
 *   {@link BackendError} before `registerSecondOrderGradients()` has run.
 *
 * @example
 * ```ts
 * registerSecondOrderGradients(); // once, before training
 * const dLoss = tf.add(loss.discriminator(D(real), D(fake)), tf.mul(5, r1Penalty(D, real))); // γ = 10
 * ```
 */
export function r1Penalty(critic: Critic, real: tf.Tensor): tf.Scalar {
  requireSecondOrderGradients('r1Penalty');
  if (!isTensor(real) || real.rank < 2)
    throw new ArgumentError(
      `r1Penalty: \`real\` must be a batch [n, …]. Received: ${describeValue(real)}.`,
    );
  return tf.tidy(() => tf.mean(inputGradientNorms(critic, real, true)) as tf.Scalar);
}
