/**
 * The penalties' second-order gradients are registered by an explicit call, never as a side
 * effect: before registerSecondOrderGradients() the penalties and a penalised GanTrainer refuse
 * with a BackendError naming the call (and tfjs's own Tanh gradient is untouched); after it they
 * run, and a second call registers nothing more.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/backend/index.js';
import { BackendError } from '../../src/core/index.js';
import '../helpers/backends.js';
import {
  createMlpGan,
  GanTrainer,
  gradientPenalty,
  r1Penalty,
} from '../../src/generative/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('refuses before the explicit call, runs after it', () => {
  const tanhGradient = tf.getGradient('Tanh');
  const critic = (x: tf.Tensor) => tf.sum(tf.tanh(x), -1);
  const real = tf.ones([2, 3]);
  const fake = tf.zeros([2, 3]);
  expect(() => gradientPenalty(critic, real, fake)).toThrow(BackendError);
  expect(() => r1Penalty(critic, real)).toThrow(/registerSecondOrderGradients\(\)/);
  const { generator, discriminator } = createMlpGan({ dataShape: [3], latentDim: 2, hidden: [4] });
  expect(() => new GanTrainer({ generator, discriminator, gradientPenaltyWeight: 10 })).toThrow(
    BackendError,
  );
  // importing and calling the library left tfjs's own gradients alone
  expect(tf.getGradient('Tanh')).toBe(tanhGradient);

  const added = registerSecondOrderGradients();
  expect(added).toEqual(expect.arrayContaining(['Tanh', 'Sigmoid', 'Greater']));
  expect(registerSecondOrderGradients()).toEqual([]);
  const gp = gradientPenalty(critic, real, fake, { seed: 1 });
  const r1 = r1Penalty(critic, real);
  expect(Number.isFinite(gp.dataSync()[0]!)).toBe(true);
  expect(Number.isFinite(r1.dataSync()[0]!)).toBe(true);
  const trainer = new GanTrainer({ generator, discriminator, gradientPenaltyWeight: 10 });
  trainer.dispose();
  tf.dispose([real, fake, gp, r1]);
  generator.dispose();
  discriminator.dispose();
});
