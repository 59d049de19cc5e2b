/**
 * GAN checkpoints: training 5 + 5 epochs in one go equals training 5, saving, loading into a
 * fresh trainer and training 5 more (losses, weights and samples equal to float rounding: tfjs's
 * Adam recomputes beta^t as a power on restore where the running trainer multiplied it up), with
 * the moving average; corrupt or foreign state files are refused with a FormatError; no tensors leak.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FormatError } from '../../src/core/index.js';
import { GanTrainer, type GanTrainerOptions } from '../../src/generative/index.js';
import { loadGanModels, restoreGanState, saveGanCheckpoint } from '../../src/node/index.js';
import { describeBackends } from '../helpers/backends.js';

let seed = 10;
const mlp = (input: number, out: number) => {
  const x = tfl.input({ shape: [input] });
  const h = tfl.layers
    .dense({
      units: 8,
      activation: 'tanh',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }),
    })
    .apply(x);
  const o = tfl.layers
    .dense({ units: out, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }) })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: o });
};
const options = (
  generator: tfl.LayersModel,
  discriminator: tfl.LayersModel,
): GanTrainerOptions => ({
  generator,
  discriminator,
  generatorOptimizer: tf.train.adam(5e-3, 0.5),
  discriminatorOptimizer: tf.train.adam(5e-3, 0.5),
  emaDecay: 0.9,
  seed: 3,
});
const weightsOf = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const expectClose = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  for (const [i, v] of actual.entries())
    expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(expected[i]!)));
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medkit-gan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeBackends('GAN checkpoints', () => {
  it('resuming from a checkpoint continues exactly as uninterrupted training', async () => {
    const x = tf.tidy(() => tf.add(tf.randomNormal([64, 2], 0, 1, 'float32', 5), 2));
    seed = 10;
    const a = new GanTrainer(options(mlp(3, 2), mlp(2, 1)));
    await a.fit({ x }, { epochs: 5, batchSize: 16 });
    expect(a.step).toBe(20);
    await saveGanCheckpoint(a, join(dir, 'ckpt'));
    const restOfA = await a.fit({ x }, { epochs: 5, batchSize: 16 });

    const before = tf.memory().numTensors;
    const { generator, discriminator } = await loadGanModels(join(dir, 'ckpt'));
    const bOptions = options(generator, discriminator);
    const b = new GanTrainer(bOptions);
    await restoreGanState(b, join(dir, 'ckpt'));
    expect(b.step).toBe(20);
    const restOfB = await b.fit({ x }, { epochs: 5, batchSize: 16 });

    expectClose(restOfB.history.generatorLoss, restOfA.history.generatorLoss);
    expectClose(restOfB.history.discriminatorLoss, restOfA.history.discriminatorLoss);
    expectClose(weightsOf(b.generator).flat(), weightsOf(a.generator).flat());
    const sa = a.sample(4, { seed: 1 });
    const sb = b.sample(4, { seed: 1 });
    expectClose(Array.from(sb.dataSync()), Array.from(sa.dataSync()));
    tf.dispose([sa, sb]);

    b.dispose();
    generator.dispose();
    discriminator.dispose();
    // the optimizers passed in are the caller's to dispose
    (bOptions.generatorOptimizer as tf.Optimizer).dispose();
    (bOptions.discriminatorOptimizer as tf.Optimizer).dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    a.generator.dispose();
    a.discriminator.dispose();
    x.dispose();
  });

  it('refuses a missing, foreign or truncated state with a FormatError', async () => {
    seed = 10;
    const t = new GanTrainer(options(mlp(3, 2), mlp(2, 1)));
    const x = tf.ones([8, 2]);
    await t.fit({ x }, { epochs: 1, batchSize: 8 });
    await expect(restoreGanState(t, dir)).rejects.toThrow(FormatError);
    await saveGanCheckpoint(t, dir);
    await writeFile(join(dir, 'trainer.bin'), new Uint8Array(3));
    await expect(restoreGanState(t, dir)).rejects.toThrow(/does not match/);
    await writeFile(join(dir, 'trainer.json'), JSON.stringify({ format: 'something else' }));
    await expect(restoreGanState(t, dir)).rejects.toThrow(/not a GAN trainer state/);
    await expect(t.setState({} as never)).rejects.toThrow(/getState/);
    t.dispose();
    t.generator.dispose();
    t.discriminator.dispose();
    x.dispose();
  });
});
