import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/index.js';
import {
  createLoss,
  isMedkitLoss,
  LOSS_NAMES,
  lossFromConfig,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from '../../src/losses/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

describe('createLoss / lossFromConfig', () => {
  it('config round trip: object → JSON → equal object → same loss', () => {
    for (const name of LOSS_NAMES) {
      const loss = createLoss(name, { reduction: 'sum', labelSmoothing: 0.1 } as never);
      const back = lossFromConfig(JSON.parse(JSON.stringify(loss.config)));
      expect(back.config).toEqual(loss.config);
      expect(back.name).toBe(name);
      expect(isMedkitLoss(back)).toBe(true);
    }
    expect(isMedkitLoss((a: tf.Tensor) => a)).toBe(false);
  });

  it.each([
    [() => createLoss('nope' as 'softmaxCrossEntropy'), /must be one of softmaxCrossEntropy/],
    [() => createLoss('softmaxCrossEntropy', { labelSmoothing: 2 }), /labelSmoothing/],
    [
      () => createLoss('sigmoidCrossEntropy', { sampleWeights: [1] }),
      /sampleWeights` cannot be fixed/,
    ],
    [() => createLoss('softmaxCrossEntropy', { bogus: 1 } as never), /unknown option `bogus`/],
    [() => lossFromConfig({ name: 'x' } as never), /must be one of/],
    [() => lossFromConfig(null as never), /must be \{ name, options \}/],
  ])('bad config %# → ArgumentError', (call, message) => {
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(message);
  });
});

describeBackends('createLoss as a function', () => {
  it('stores tensor options as arrays', () => {
    const w = tf.tensor1d([1, 2, 3]);
    const loss = createLoss('softmaxCrossEntropy', { classWeights: w });
    w.dispose();
    expect(loss.config.options).toEqual({ classWeights: [1, 2, 3] });
  });

  it('computes the same value as the pure function with the same options, without leaks', async () => {
    const y = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    const z = tf.tensor2d([
      [0.3, -1],
      [2, 0.5],
    ]);
    const loss = createLoss('softmaxCrossEntropy', { classWeights: [1, 3], labelSmoothing: 0.1 });
    await expectNoLeak(() => loss(y, z).dispose());
    const a = loss(y, z);
    const b = softmaxCrossEntropy(y, z, { classWeights: [1, 3], labelSmoothing: 0.1 });
    expect(a.dataSync()).toEqual(b.dataSync());
    const s = createLoss('sigmoidCrossEntropy', { posWeight: [2] });
    const c = s(tf.tensor1d([1, 0]), tf.tensor1d([0.5, -0.5]));
    const d = sigmoidCrossEntropy([1, 0], tf.tensor1d([0.5, -0.5]), { posWeight: [2] });
    expect(c.dataSync()).toEqual(d.dataSync());
    tf.dispose([y, z, a, b, c, d]);
  });
});
