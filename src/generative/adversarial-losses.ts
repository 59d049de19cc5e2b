/**
 * The adversarial losses of GAN training, on the discriminator's logits (its raw scores), built
 * on the losses module's stable sigmoid cross-entropy so they stay finite and keep their
 * gradients when the discriminator is confident (a saturated discriminator is the usual case):
 *
 * | kind | discriminator | generator |
 * | --- | --- | --- |
 * | `minimax` (Goodfellow et al. 2014) | BCE(r, 1) + BCE(f, 0) | −BCE(f, 0) = log(1 − σ(f)) |
 * | `non-saturating` | BCE(r, 1) + BCE(f, 0) | BCE(f, 1) |
 * | `wasserstein` (Arjovsky et al. 2017) | mean(f) − mean(r) | −mean(f) |
 * | `hinge` (Lim & Ye 2017) | mean(relu(1 − r)) + mean(relu(1 + f)) | −mean(f) |
 * | `least-squares` (Mao et al. 2017) | ½mean((r − 1)²) + ½mean(f²) | ½mean((f − 1)²) |
 * | `relativistic-average` (Jolicoeur-Martineau 2018) | BCE(r − mean(f), 1) + BCE(f − mean(r), 0) | BCE(f − mean(r), 1) + BCE(r − mean(f), 0) |
 *
 * BCE(x, t) is the mean sigmoid cross-entropy of logits x against target t. One-sided label
 * smoothing replaces the real target 1 by 1 − ε in the discriminator's loss.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import { isTensor } from '../core/tensors.js';
import { resolveOptions } from '../core/validate.js';
import { sigmoidCrossEntropy } from '../losses/sigmoid-cross-entropy.js';
import { logSigmoid } from '../losses/stable-math.js';

/** The adversarial loss kinds. */
export type AdversarialLossKind =
  | 'minimax'
  | 'non-saturating'
  | 'wasserstein'
  | 'hinge'
  | 'least-squares'
  | 'relativistic-average';

/** The names of the adversarial losses. */
export const ADVERSARIAL_LOSS_KINDS: readonly AdversarialLossKind[] = [
  'minimax',
  'non-saturating',
  'wasserstein',
  'hinge',
  'least-squares',
  'relativistic-average',
];

/** Options of {@link adversarialLoss}. */
export interface AdversarialLossOptions {
  /** One-sided label smoothing ε in [0, 1): the discriminator's real target becomes 1 − ε. Defaults to 0. */
  labelSmoothing?: number;
}

/** A pair of loss functions for the two players. */
export interface AdversarialLoss {
  /** The kind. */
  readonly kind: AdversarialLossKind;
  /** The discriminator's (critic's) loss from its logits on real and on generated samples. */
  discriminator(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  /** The generator's loss from the discriminator's logits on generated samples (and on real ones, for the relativistic loss). */
  generator(fakeLogits: tf.Tensor, realLogits?: tf.Tensor): tf.Scalar;
  /**
   * The discriminator's loss as two sums of per-sample terms, `mean(real(r)) + mean(fake(f))`
   * (what differentially private GAN training clips per real sample); undefined for the
   * relativistic loss, whose terms mix real and generated samples.
   */
  readonly discriminatorTerms?: {
    /** One term per real sample, from its logit. */
    real(realLogits: tf.Tensor): tf.Tensor;
    /** One term per generated sample, from its logit. */
    fake(fakeLogits: tf.Tensor): tf.Tensor;
  };
}

/**
 * Per-element sigmoid cross-entropy against a constant target. Against the hard targets 1 and 0
 * one of its two terms is zero: −log σ(x) and −log σ(−x) are the same float32 operations as
 * sigmoidCrossEntropy's on the term that counts (the other only adds zeros, value and gradient:
 * the results are the same bits, but for the sign of a zero gradient where σ underflows), in a
 * third of its kernel calls; a soft target (label smoothing) takes sigmoidCrossEntropy.
 */
function bceTerms(x: tf.Tensor, target: number): tf.Tensor {
  if (isHardTarget(x, target))
    return tf.tidy(() => tf.neg(logSigmoid(target === 1 ? x : tf.neg(x))));
  return sigmoidCrossEntropy(tf.fill(x.shape, target), x, { reduction: 'none' });
}

/** The mean of {@link bceTerms}: the sum divided by the count, as sigmoidCrossEntropy's mean. */
function bce(x: tf.Tensor, target: number): tf.Scalar {
  if (isHardTarget(x, target))
    return tf.tidy(() => tf.div(tf.sum(bceTerms(x, target)), x.size) as tf.Scalar);
  return sigmoidCrossEntropy(tf.fill(x.shape, target), x) as tf.Scalar;
}

/** A target of 0 or 1 for float32 logits of rank ≥ 1 (sigmoidCrossEntropy checks the others). */
function isHardTarget(x: tf.Tensor, target: number): boolean {
  return (target === 0 || target === 1) && x.dtype === 'float32' && x.rank >= 1;
}

function checkLogits(x: unknown, name: string): tf.Tensor {
  if (!isTensor(x) || x.isDisposed)
    throw new ArgumentError(
      `adversarialLoss: \`${name}\` must be a tensor of logits. Received: ${describeValue(x)}.`,
    );
  if (x.size === 0) throw new ArgumentError(`adversarialLoss: \`${name}\` must not be empty.`);
  return x;
}

/**
 * The discriminator and generator losses of one adversarial game (see the module's table).
 *
 * @param kind - one of {@link ADVERSARIAL_LOSS_KINDS}.
 * @param options - see {@link AdversarialLossOptions}.
 * @returns `{ discriminator(realLogits, fakeLogits), generator(fakeLogits, realLogits?) }`, each a
 *   scalar tensor (means over the batch).
 * @throws {@link ArgumentError} for an unknown kind, a smoothing outside [0, 1), or a
 *   relativistic generator loss without `realLogits`.
 *
 * @example
 * ```ts
 * const loss = adversarialLoss('non-saturating', { labelSmoothing: 0.1 });
 * const dLoss = loss.discriminator(critic(real), critic(fake));
 * const gLoss = loss.generator(critic(fake));
 * ```
 */
export function adversarialLoss(
  kind: AdversarialLossKind,
  options?: AdversarialLossOptions,
): AdversarialLoss {
  const fn = 'adversarialLoss';
  if (!ADVERSARIAL_LOSS_KINDS.includes(kind)) {
    throw new ArgumentError(
      `${fn}: \`kind\` must be one of ${ADVERSARIAL_LOSS_KINDS.map((k) => `'${k}'`).join(', ')}. Received: ${describeValue(kind)}.`,
    );
  }
  const o = resolveOptions(fn, options, {
    labelSmoothing: {
      constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true },
      default: 0,
    },
  });
  const realTarget = 1 - o.labelSmoothing;
  // the separable kinds: mean(real terms) + mean(fake terms)
  const terms: AdversarialLoss['discriminatorTerms'] =
    kind === 'relativistic-average'
      ? undefined
      : {
          real: (r) =>
            tf.tidy(() => {
              switch (kind) {
                case 'wasserstein':
                  return tf.neg(r);
                case 'hinge':
                  return tf.relu(tf.sub(1, r));
                case 'least-squares':
                  return tf.mul(0.5, tf.square(tf.sub(r, realTarget)));
                default:
                  return bceTerms(r, realTarget);
              }
            }),
          fake: (f) =>
            tf.tidy(() => {
              switch (kind) {
                case 'wasserstein':
                  return f.clone();
                case 'hinge':
                  return tf.relu(tf.add(1, f));
                case 'least-squares':
                  return tf.mul(0.5, tf.square(f));
                default:
                  return bceTerms(f, 0);
              }
            }),
        };
  const discriminator = (realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar => {
    const r = checkLogits(realLogits, 'realLogits');
    const f = checkLogits(fakeLogits, 'fakeLogits');
    return tf.tidy(() => {
      if (terms) return tf.add(tf.mean(terms.real(r)), tf.mean(terms.fake(f))) as tf.Scalar;
      return tf.add(
        bce(tf.sub(r, tf.mean(f)), realTarget),
        bce(tf.sub(f, tf.mean(r)), 0),
      ) as tf.Scalar;
    });
  };
  const generator = (fakeLogits: tf.Tensor, realLogits?: tf.Tensor): tf.Scalar => {
    const f = checkLogits(fakeLogits, 'fakeLogits');
    if (kind === 'relativistic-average' && realLogits === undefined) {
      throw new ArgumentError(`${fn}: the relativistic generator loss needs \`realLogits\` too.`);
    }
    return tf.tidy(() => {
      switch (kind) {
        case 'minimax':
          return tf.neg(bce(f, 0)) as tf.Scalar;
        case 'non-saturating':
          return bce(f, 1);
        case 'wasserstein':
        case 'hinge':
          return tf.neg(tf.mean(f)) as tf.Scalar;
        case 'least-squares':
          return tf.mul(0.5, tf.mean(tf.square(tf.sub(f, 1)))) as tf.Scalar;
        case 'relativistic-average': {
          const r = checkLogits(realLogits, 'realLogits');
          return tf.add(bce(tf.sub(f, tf.mean(r)), 1), bce(tf.sub(r, tf.mean(f)), 0)) as tf.Scalar;
        }
      }
    });
  };
  return { kind, discriminator, generator, ...(terms ? { discriminatorTerms: terms } : {}) };
}
