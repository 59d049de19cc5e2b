/**
 * Adversarial losses and gradient penalties against PyTorch (tests/fixtures/adversarial-torch.json,
 * made by scripts/fixtures/adversarial_torch.py): values and gradients with respect to the logits
 * for every kind (with one-sided label smoothing), WGAN-GP and R1 values and their gradients with
 * respect to the critic's weights (double backpropagation), to 1e-5 relative; finite at extreme
 * logits; no leaks; clear errors.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/backend/index.js';
import { MedkitError } from '../../src/core/index.js';
import {
  ADVERSARIAL_LOSS_KINDS,
  type AdversarialLossKind,
  adversarialLoss,
  gradientPenalty,
  r1Penalty,
} from '../../src/generative/index.js';
import { sigmoidCrossEntropy } from '../../src/losses/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

registerSecondOrderGradients(); // the penalties differentiate a gradient

const fx = JSON.parse(
  readFileSync(new URL('../fixtures/adversarial-torch.json', import.meta.url), 'utf8'),
) as {
  real: number[];
  fake: number[];
  cases: {
    kind: AdversarialLossKind;
    smoothing: number;
    discriminator: number;
    generator: number;
    dReal: number[];
    dFake: number[];
    gReal: number[];
    gFake: number[];
  }[];
  critic: { W1: number[][]; b1: number[]; W2: number[][]; b2: number[] };
  xReal: number[][];
  xFake: number[][];
  epsilon: number[];
  gradientPenalty: number;
  gradientPenaltyGrads: (number[] | number[][])[];
  gradientPenaltyTanh: number;
  gradientPenaltyTanhGrads: (number[] | number[][])[];
  r1: number;
  r1Grads: (number[] | number[][])[];
};
const TOL = { rtol: 1e-5, atol: 1e-6 };

describeBackends('adversarial losses equal PyTorch', () => {
  it.each(fx.cases.map((c) => [`${c.kind} (smoothing ${c.smoothing})`, c] as const))(
    '%s',
    async (_name, c) => {
      const loss = adversarialLoss(c.kind, { labelSmoothing: c.smoothing });
      const real = tf.tensor1d(fx.real);
      const fake = tf.tensor1d(fx.fake);
      const d = tf.grads((r: tf.Tensor, f: tf.Tensor) => loss.discriminator(r, f));
      const before = tf.memory().numTensors;
      const [dr, df] = d([real, fake]);
      // only the relativistic generator loss depends on the real logits
      const [gr, gf] =
        c.kind === 'relativistic-average'
          ? tf.grads((r: tf.Tensor, f: tf.Tensor) => loss.generator(f, r))([real, fake])
          : [tf.zerosLike(real), tf.grad((f: tf.Tensor) => loss.generator(f))(fake)];
      const dValue = loss.discriminator(real, fake);
      const gValue = loss.generator(fake, real);
      expect(tf.memory().numTensors).toBe(before + 6); // the six results, nothing else
      expectClose(dValue, c.discriminator, TOL);
      expectClose(gValue, c.generator, TOL);
      expectClose(dr!, c.dReal, TOL);
      expectClose(df!, c.dFake, TOL);
      expectClose(gr!, c.gReal, TOL);
      expectClose(gf!, c.gFake, TOL);
      tf.dispose([dr!, df!, gr!, gf!, dValue, gValue]);
      tf.dispose([real, fake]);
    },
  );

  it('stays finite and keeps its gradient when the discriminator is sure', () => {
    for (const kind of ADVERSARIAL_LOSS_KINDS) {
      const loss = adversarialLoss(kind);
      const sure = tf.tensor1d([1e4, -1e4, 80]);
      const [g] = tf.grads((f: tf.Tensor) => loss.generator(f, sure))([sure]);
      expect(Array.from(g!.dataSync()).every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(loss.discriminator(sure, sure).dataSync()[0]!)).toBe(true);
      tf.dispose([sure, g!]);
    }
  });
});

describeBackends(
  'hard targets: the sigmoid cross-entropy of the losses module, bit for bit',
  () => {
    // against the targets 1 and 0 the losses take one log-sigmoid term, not sigmoidCrossEntropy's
    // two: the same values and gradients, to the last bit (a zero's sign aside)
    const logits = [-1e4, -90, -20, -3.5, -0.25, -1e-8, 0, 1e-8, 0.25, 3.5, 20, 90, 1e4];
    it.each([
      ['non-saturating', 'generator'],
      ['minimax', 'generator'],
      ['non-saturating', 'discriminator'],
    ] as const)('%s %s', (kind, player) => {
      const loss = adversarialLoss(kind);
      const mine = (r: tf.Tensor, f: tf.Tensor) =>
        player === 'generator' ? loss.generator(f) : loss.discriminator(r, f);
      const bce = (x: tf.Tensor, t: number) => sigmoidCrossEntropy(tf.fill(x.shape, t), x);
      const bceMean = (x: tf.Tensor, t: number) =>
        tf.mean(sigmoidCrossEntropy(tf.fill(x.shape, t), x, { reduction: 'none' }));
      const reference = (r: tf.Tensor, f: tf.Tensor) =>
        player === 'discriminator'
          ? tf.add(bceMean(r, 1), bceMean(f, 0))
          : kind === 'minimax'
            ? tf.neg(bce(f, 0))
            : bce(f, 1);
      const real = tf.tensor2d(logits, [logits.length, 1]);
      const fake = tf.tensor2d(
        logits.map((z) => -z / 3),
        [logits.length, 1],
      );
      const xs = player === 'generator' ? [fake] : [real, fake];
      const [a, b] = [mine, reference].map((f) => {
        const { value, grads } = tf.valueAndGrads((...x: tf.Tensor[]) =>
          x.length === 1 ? f(real, x[0]!) : f(x[0]!, x[1]!),
        )(xs);
        // −0 and +0 alike: where σ underflows, the dropped term's zero can flip a zero's sign
        const out = [value, ...grads].map((t) => Array.from(t.dataSync(), (v) => v + 0));
        tf.dispose([value, ...grads]);
        return out;
      });
      expect(a).toEqual(b);
      tf.dispose([real, fake]);
    });
  },
);

describeBackends('gradient penalties equal PyTorch (double backpropagation)', () => {
  const makeCritic = () => {
    const W1 = tf.variable(tf.tensor2d(fx.critic.W1));
    const b1 = tf.variable(tf.tensor1d(fx.critic.b1));
    const W2 = tf.variable(tf.tensor2d(fx.critic.W2));
    const b2 = tf.variable(tf.tensor1d(fx.critic.b2));
    const critic = (x: tf.Tensor) =>
      tf.squeeze(tf.add(tf.matMul(tf.leakyRelu(tf.add(tf.matMul(x, W1), b1), 0.2), W2), b2), [-1]);
    return { critic, vars: [W1, b1, W2, b2] };
  };

  it('WGAN-GP at given interpolation weights: value and weight gradients', async () => {
    const { critic, vars } = makeCritic();
    const real = tf.tensor2d(fx.xReal);
    const fake = tf.tensor2d(fx.xFake);
    const { value, grads } = tf.variableGrads(
      () => gradientPenalty(critic, real, fake, { epsilon: fx.epsilon }),
      vars,
    );
    expectClose(value, fx.gradientPenalty, TOL);
    for (const [i, v] of vars.entries())
      expectClose(grads[v.name] ?? tf.zerosLike(v), fx.gradientPenaltyGrads[i] as number[], TOL);
    tf.dispose([value, ...Object.values(grads), real, fake, ...vars]);
  });

  it('WGAN-GP through a tanh critic (second derivative of a saturating activation)', async () => {
    const W1 = tf.variable(tf.tensor2d(fx.critic.W1));
    const b1 = tf.variable(tf.tensor1d(fx.critic.b1));
    const W2 = tf.variable(tf.tensor2d(fx.critic.W2));
    const b2 = tf.variable(tf.tensor1d(fx.critic.b2));
    const vars = [W1, b1, W2, b2];
    const critic = (x: tf.Tensor) =>
      tf.squeeze(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, W1), b1)), W2), b2), [-1]);
    const real = tf.tensor2d(fx.xReal);
    const fake = tf.tensor2d(fx.xFake);
    const { value, grads } = tf.variableGrads(
      () => gradientPenalty(critic, real, fake, { epsilon: fx.epsilon }),
      vars,
    );
    expectClose(value, fx.gradientPenaltyTanh, TOL);
    for (const [i, v] of vars.entries())
      expectClose(
        grads[v.name] ?? tf.zerosLike(v),
        fx.gradientPenaltyTanhGrads[i] as number[],
        TOL,
      );
    tf.dispose([value, ...Object.values(grads), real, fake, ...vars]);
  });

  it('R1: value and weight gradients; seeded interpolation repeats; no leak', async () => {
    const { critic, vars } = makeCritic();
    const real = tf.tensor2d(fx.xReal);
    const fake = tf.tensor2d(fx.xFake);
    const { value, grads } = tf.variableGrads(() => r1Penalty(critic, real), vars);
    expectClose(value, fx.r1, TOL);
    for (const [i, v] of vars.entries())
      expectClose(grads[v.name] ?? tf.zerosLike(v), fx.r1Grads[i] as number[], TOL);
    tf.dispose([value, ...Object.values(grads)]);
    const a = await expectNoLeak(async () => {
      const p = gradientPenalty(critic, real, fake, { seed: 3 });
      const v = (await p.data())[0]!;
      p.dispose();
      return v;
    });
    const b = gradientPenalty(critic, real, fake, { seed: 3 });
    expect((await b.data())[0]).toBe(a);
    tf.dispose([b, real, fake, ...vars]);
  });
});

describe('bad input', () => {
  it.each([
    ['an unknown kind', () => adversarialLoss('wgan' as never), /one of 'minimax'/],
    ['smoothing of 1', () => adversarialLoss('minimax', { labelSmoothing: 1 }), /labelSmoothing/],
    [
      'relativistic generator without real logits',
      () => adversarialLoss('relativistic-average').generator(tf.zeros([2])),
      /realLogits/,
    ],
    [
      'not logits',
      () => adversarialLoss('hinge').discriminator([1] as never, tf.zeros([1])),
      /tensor of logits/,
    ],
    [
      'real and fake of different shapes',
      () => gradientPenalty((x) => tf.sum(x, -1), tf.zeros([2, 3]), tf.zeros([3, 3])),
      /same shape/,
    ],
    [
      'epsilon of the wrong length',
      () =>
        gradientPenalty((x) => tf.sum(x, -1), tf.zeros([2, 3]), tf.zeros([2, 3]), {
          epsilon: [0.5],
        }),
      /epsilon/,
    ],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
