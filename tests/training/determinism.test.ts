/**
 * One seed discipline: every factory and trainer repeats itself with its default seed and with a
 * given one (number or bigint), bit for bit on cpu and within 1e-6 on wasm; other seeds differ;
 * dropout masks change from step to step in every trainer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import {
  createDcgan,
  createMlpGan,
  createMoleculeGan,
  fitPropertyModel,
  GanTrainer,
} from '../../src/generative/index.js';
import {
  createDenseNet,
  createResNet,
  createSimpleCnn,
  trainClassifier,
} from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

/** Every weight of the models, flattened in order. */
const weightsOf = (...models: tfl.LayersModel[]): number[] =>
  models.flatMap((m) => m.getWeights().flatMap((w) => Array.from(w.dataSync())));

const disposeAll = (...models: tfl.LayersModel[]) => {
  for (const m of models) m.dispose();
};

/** The tolerance of "the same numbers" on a backend: bit for bit on cpu, 1e-6 relative on wasm. */
function expectSame(a: readonly number[], b: readonly number[], backend: string): void {
  expect(a.length).toBe(b.length);
  if (backend === 'cpu') {
    expect(b).toEqual(a);
    return;
  }
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(a[i]!)));
  }
}

const FACTORIES: [string, (seed?: number | bigint) => tfl.LayersModel[]][] = [
  [
    'createSimpleCnn',
    (seed) => [
      createSimpleCnn({
        inputShape: [8, 8, 1],
        numClasses: 2,
        ...(seed === undefined ? {} : { seed }),
      }),
    ],
  ],
  [
    'createResNet',
    (seed) => [
      createResNet({
        inputShape: [16, 16, 1],
        numClasses: 2,
        depth: 18,
        baseFilters: 4,
        ...(seed === undefined ? {} : { seed }),
      }),
    ],
  ],
  [
    'createDenseNet',
    (seed) => [
      createDenseNet({
        inputShape: [16, 16, 1],
        numClasses: 3,
        blocks: [2, 2],
        growthRate: 4,
        ...(seed === undefined ? {} : { seed }),
      }),
    ],
  ],
  [
    'createDcgan',
    (seed) => {
      const m = createDcgan({
        imageSize: 16,
        channels: 1,
        baseFilters: 8,
        latentDim: 8,
        ...(seed === undefined ? {} : { seed }),
      });
      return [m.generator, m.discriminator];
    },
  ],
  [
    'createMlpGan',
    (seed) => {
      const m = createMlpGan({
        dataShape: [6],
        latentDim: 4,
        hidden: [8],
        dropout: 0.3,
        ...(seed === undefined ? {} : { seed }),
      });
      return [m.generator, m.discriminator];
    },
  ],
  [
    'createMoleculeGan',
    (seed) => {
      const m = createMoleculeGan({
        spec: { atomTypes: ['C', 'N', 'O'], maxAtoms: 5 },
        hidden: [8, 8],
        ...(seed === undefined ? {} : { seed }),
      });
      return [m.generator, m.discriminator];
    },
  ],
];

describeBackends('factories repeat their weights', (backend) => {
  for (const [name, build] of FACTORIES) {
    it(`${name}: the default seed and a given seed (number or bigint) repeat; another seed differs`, () => {
      const before = tf.memory().numTensors;
      const weights = (seed?: number | bigint) => {
        const models = build(seed);
        const w = weightsOf(...models);
        disposeAll(...models);
        return w;
      };
      const byDefault = weights();
      expectSame(byDefault, weights(), backend);
      expectSame(byDefault, weights(0), backend);
      const seven = weights(7);
      expectSame(seven, weights(7n), backend);
      expect(seven).not.toEqual(byDefault);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describeBackends('trainers repeat their runs', (backend) => {
  it('trainClassifier: default seed and a bigint seed repeat weights and history; dropout masks change per step', async () => {
    const { x, y } = patchImages(24);
    const run = async (seed?: bigint) => {
      const model = createSimpleCnn({
        inputShape: [8, 8, 1],
        numClasses: 2,
        filters: [4],
        denseUnits: 8,
        dropout: 0.5,
      });
      const dropout = model.layers.find((l) => l.getClassName() === 'Dropout') as unknown as {
        seed: number;
      };
      const seeds: number[] = [];
      const r = await trainClassifier(
        model,
        { x, y },
        {
          epochs: 2,
          batchSize: 8,
          validationSplit: 0.25,
          ...(seed === undefined ? {} : { seed }),
          onProgress: (e) => {
            if (e.type === 'stepEnd') seeds.push(dropout.seed);
          },
        },
      );
      const w = weightsOf(model);
      model.dispose();
      return { history: Object.values(r.history).flat(), w, seeds };
    };
    const a = await expectNoLeak(() => run());
    const b = await run();
    expectSame(a.history, b.history, backend);
    expectSame(a.w, b.w, backend);
    expect(new Set(a.seeds).size).toBe(a.seeds.length);
    const c = await run(11n);
    const d = await run(11n);
    expectSame(c.w, d.w, backend);
    expect(c.w).not.toEqual(a.w);
    tf.dispose([x, y]);
  });

  it('GanTrainer on createMlpGan networks with dropout: the same history twice; masks change per step', async () => {
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([64, 2], 0, 1, 'float32', 3), 0.5), 2));
    const run = async (seed?: number) => {
      const { generator, discriminator } = createMlpGan({
        dataShape: [2],
        latentDim: 4,
        hidden: [16],
        dropout: 0.5,
        ...(seed === undefined ? {} : { seed }),
      });
      const dropout = discriminator.layers.find((l) => l.getClassName() === 'Dropout')!;
      const masks: string[] = [];
      const trainer = new GanTrainer({
        generator,
        discriminator,
        ...(seed === undefined ? {} : { seed }),
      });
      const { history } = await trainer.fit(
        { x },
        {
          epochs: 2,
          batchSize: 16,
          onProgress: (e) => {
            if (e.type !== 'stepEnd') return;
            // the mask the layer draws with the seed of the step that just ran
            const mask = tf.tidy(
              () => dropout.apply(tf.ones([1, 16]), { training: true }) as tf.Tensor,
            );
            masks.push(Array.from(mask.dataSync(), (v) => (v > 0 ? 1 : 0)).join(''));
            mask.dispose();
          },
        },
      );
      trainer.dispose();
      const w = weightsOf(generator, discriminator);
      disposeAll(generator, discriminator);
      return { history: [...history.discriminatorLoss, ...history.generatorLoss], masks, w };
    };
    const a = await expectNoLeak(() => run());
    const b = await run();
    expect(a.history).toHaveLength(16);
    expectSame(a.history, b.history, backend);
    expectSame(a.w, b.w, backend);
    expect(b.masks).toEqual(a.masks);
    expect(new Set(a.masks).size).toBeGreaterThan(4);
    const c = await run(5);
    const d = await run(5);
    expectSame(c.history, d.history, backend);
    expectSame(c.w, d.w, backend);
    expect(c.history).not.toEqual(a.history);
    tf.dispose(x);
  });

  it('fitPropertyModel: the same losses and weights twice (default and given seed); dropout masks change per step', async () => {
    const x = tf.tidy(() => tf.randomUniform([40, 6], 0, 1, 'float32', 9));
    const y = Array.from({ length: 40 }, (_, i) => (i % 5) / 4);
    const run = async (model?: tfl.LayersModel, seed?: bigint) => {
      const masks: string[] = [];
      const fit = await fitPropertyModel(x, y, {
        ...(seed === undefined ? {} : { seed }),
        hidden: [12],
        dropout: 0.5,
        epochs: 3,
        batchSize: 10,
        ...(model ? { model } : {}),
        onProgress: (e) => {
          if (e.type !== 'stepEnd' || !model) return;
          const layer = model.layers.find((l) => l.getClassName() === 'Dropout')!;
          const mask = tf.tidy(
            () => layer.apply(tf.ones([1, 12]), { training: true }) as tf.Tensor,
          );
          masks.push(Array.from(mask.dataSync(), (v) => (v > 0 ? 1 : 0)).join(''));
          mask.dispose();
        },
      });
      return { fit, masks };
    };
    const a = await expectNoLeak(async () => {
      const r = await run();
      const w = weightsOf(r.fit.model);
      r.fit.model.dispose();
      return { loss: r.fit.loss, w };
    });
    const b = await run();
    expectSame(a.loss, b.fit.loss, backend);
    expectSame(a.w, weightsOf(b.fit.model), backend);
    expect(b.fit.history.loss).toBe(b.fit.loss);
    expect(b.fit.epochs).toBe(3);
    expect(b.fit.stopReason).toBe('completed');
    const given = async () => {
      const r = await run(undefined, 21n);
      const w = weightsOf(r.fit.model);
      r.fit.model.dispose();
      return { loss: r.fit.loss, w };
    };
    const c1 = await given();
    const c2 = await given();
    expectSame(c1.loss, c2.loss, backend);
    expectSame(c1.w, c2.w, backend);
    expect(c1.w).not.toEqual(a.w);
    // training the fitted model further: a new mask at each of its 12 steps
    const further = await run(b.fit.model);
    expect(further.masks).toHaveLength(12);
    expect(new Set(further.masks).size).toBeGreaterThan(6);
    b.fit.model.dispose();
    tf.dispose(x);
  });
});
