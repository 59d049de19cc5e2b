/**
 * The training layer: the gradient-transform hook (SGD step against the definition, freezing by
 * leaving a variable out, bad transforms refused), clipping by global norm, the named-optimizer
 * factory, early stopping's monitor checked before the first step, the NaN-loss guard, abort and
 * progress in every trainer, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { FusedAdamOptimizer, registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError, MedkitError, type ProgressEvent } from '../../src/core/index.js';
import { fitPropertyModel } from '../../src/generative/index.js';
import { clipByGlobalNorm, createOptimizer } from '../../src/training/index.js';
import {
  createSimpleCnn,
  type GradientTransform,
  trainClassifier,
} from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { patchImages } from '../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

/** A dense network of two layers on 4 features, logits for 2 classes, seeded. */
function dense(): tfl.LayersModel {
  const input = tfl.input({ shape: [4] });
  const h = tfl.layers
    .dense({
      units: 3,
      activation: 'tanh',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      name: 'hidden',
    })
    .apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      units: 2,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      name: 'head',
    })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const X = [
  [0.5, -1, 2, 0.1],
  [1, 0.3, -0.2, 0.7],
  [-0.4, 0.8, 0.9, -1.2],
  [0.2, 0.2, -0.6, 0.4],
];
const Y = [0, 1, 1, 0];

describeBackends('gradient transforms', () => {
  it('one SGD step applies the transformed gradients: w ← w − η · T(∇L)', async () => {
    const model = dense();
    const x = tf.tensor2d(X);
    const before = model.getWeights().map((w) => w.arraySync());
    // the gradient of the default loss (mean sparse softmax cross-entropy) at the start, by hand
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const out = model.apply(x) as tf.Tensor;
          return tf.neg(
            tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(Y, 'int32'), 2), tf.logSoftmax(out)), -1)),
          ) as tf.Scalar;
        }),
      variables,
    );
    const expected = variables.map((v, i) =>
      tf
        .tidy(() => tf.sub(tf.tensor(before[i] as number[]), tf.mul(0.1 * 3, grads[v.name]!)))
        .arraySync(),
    );
    tf.dispose([value, ...Object.values(grads)]);
    const contexts: { epoch: number; step: number; names: string[] }[] = [];
    const triple: GradientTransform = (g, context) => {
      contexts.push({
        epoch: context.epoch,
        step: context.step,
        names: Object.keys(context.variables),
      });
      const out: tf.NamedTensorMap = {};
      for (const [name, t] of Object.entries(g)) out[name] = tf.mul(t, 3);
      return out;
    };
    await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y: Y },
        {
          epochs: 1,
          batchSize: 4,
          shuffle: false,
          optimizer: 'sgd',
          learningRate: 0.1,
          transformGradients: triple,
        },
      ),
    );
    expect(contexts).toEqual([{ epoch: 1, step: 1, names: variables.map((v) => v.name) }]);
    model.getWeights().forEach((w, i) => {
      const got = (w.arraySync() as number[] | number[][]).flat();
      const want = (expected[i] as number[] | number[][]).flat();
      for (const [j, v] of got.entries()) expect(v).toBeCloseTo(want[j]!, 5);
    });
    model.dispose();
    x.dispose();
  });

  it('a variable left out of the gradients keeps its weights bit for bit (freezing)', async () => {
    const model = dense();
    const x = tf.tensor2d(X);
    const hidden = model
      .getLayer('hidden')
      .getWeights()
      .map((w) => Array.from(w.dataSync()));
    const head = model
      .getLayer('head')
      .getWeights()
      .map((w) => Array.from(w.dataSync()));
    const frozen = new Set(
      model.getLayer('hidden').trainableWeights.map((w) => (w.read() as tf.Variable).name),
    );
    const freeze: GradientTransform = (g) => {
      const out: tf.NamedTensorMap = {};
      for (const [name, t] of Object.entries(g)) if (!frozen.has(name)) out[name] = t;
      return out;
    };
    await expectNoLeak(() =>
      trainClassifier(
        model,
        { x, y: Y },
        { epochs: 3, batchSize: 2, transformGradients: [freeze, clipByGlobalNorm(1)] },
      ),
    );
    expect(
      model
        .getLayer('hidden')
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    ).toEqual(hidden);
    expect(
      model
        .getLayer('head')
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    ).not.toEqual(head);
    model.dispose();
    x.dispose();
  });

  it('bad transforms are refused with a MedkitError naming the problem', async () => {
    const model = dense();
    const x = tf.tensor2d(X);
    const run = (t: unknown) =>
      trainClassifier(
        model,
        { x, y: Y },
        { epochs: 1, transformGradients: t as GradientTransform },
      );
    await expect(run(42)).rejects.toThrow(/transformGradients/);
    await expect(run(() => ({ nope: tf.zeros([1]) }))).rejects.toThrow(/not a trained variable/);
    await expect(
      run((g: tf.NamedTensorMap) => {
        const [name] = Object.keys(g);
        return { [name!]: tf.zeros([7]) };
      }),
    ).rejects.toThrow(ArgumentError);
    model.dispose();
    x.dispose();
  });

  it('clipByGlobalNorm: g · min(1, c / ‖g‖₂) over all variables together', () => {
    const before = tf.memory().numTensors;
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // ‖g‖ = 5
    const context = {} as never;
    const clipped = tf.tidy(() => clipByGlobalNorm(1)(g, context));
    expect(Array.from(clipped.a!.dataSync())).toEqual([0.6000000238418579, 0]);
    expect(clipped.b!.dataSync()[1]).toBeCloseTo(0.8, 6);
    const kept = tf.tidy(() => clipByGlobalNorm(10)(g, context));
    expect(Array.from(kept.b!.dataSync())).toEqual([0, 4]);
    tf.dispose([g.a, g.b, ...Object.values(clipped), ...Object.values(kept)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => clipByGlobalNorm(0)).toThrow(ArgumentError);
    expect(() => clipByGlobalNorm(Number.NaN)).toThrow(/maxNorm/);
  });
});

describeBackends('the training loop', () => {
  it('the named-optimizer factory: four names, instances passed through, anything else refused', () => {
    const adam = createOptimizer('t', 'adam', { learningRate: 0.01 });
    expect(adam.optimizer).toBeInstanceOf(FusedAdamOptimizer);
    expect(adam.owned).toBe(true);
    expect(createOptimizer('t', 'sgd', { learningRate: 0.1 }).optimizer).toBeInstanceOf(
      tf.SGDOptimizer,
    );
    expect(createOptimizer('t', 'momentum', { learningRate: 0.1 }).optimizer).toBeInstanceOf(
      tf.MomentumOptimizer,
    );
    expect(createOptimizer('t', 'rmsprop', { learningRate: 0.1 }).optimizer).toBeInstanceOf(
      tf.RMSPropOptimizer,
    );
    const mine = tf.train.adagrad(0.1);
    expect(createOptimizer('t', mine, { learningRate: 0.1 })).toEqual({
      optimizer: mine,
      owned: false,
    });
    expect(() => createOptimizer('t', 'adamw' as never, { learningRate: 0.1 })).toThrow(
      /'adam', 'sgd', 'momentum', 'rmsprop'/,
    );
    expect(() => createOptimizer('t', {} as never, { learningRate: 0.1 })).toThrow(ArgumentError);
  });

  it('early stopping: a monitor the run does not record is refused before the first step', async () => {
    const { x, y } = patchImages(16);
    const model = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [4],
      denseUnits: 8,
    });
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    const events: ProgressEvent[] = [];
    const onProgress = (e: ProgressEvent) => {
      events.push(e);
    };
    await expectNoLeak(async () => {
      await expect(
        trainClassifier(
          model,
          { x, y },
          { validationSplit: 0.25, earlyStopping: { monitor: 'valLos' as never }, onProgress },
        ),
      ).rejects.toThrow(/earlyStopping.monitor.*'valLoss'.*Received: "valLos"/);
      await expect(
        trainClassifier(model, { x, y }, { earlyStopping: { monitor: 'valAuc' }, onProgress }),
      ).rejects.toThrow(/needs validation data/);
      await expect(
        trainClassifier(model, { x, y }, { earlyStopping: { patience: 0 }, onProgress }),
      ).rejects.toThrow(/patience/);
      await expect(
        trainClassifier(
          model,
          { x, y },
          { earlyStopping: { monitr: 'loss' } as never, onProgress },
        ),
      ).rejects.toThrow(/unknown option `monitr`/);
    });
    expect(events).toEqual([]);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(weights);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('a loss that becomes NaN stops the run with a MedkitError naming the step', async () => {
    const model = dense();
    const x = tf.tensor2d(X);
    // a custom loss that takes the log of logits, some of them negative
    const logLoss = (_labels: tf.Tensor, out: tf.Tensor) => tf.mean(tf.log(out));
    await expectNoLeak(async () => {
      await expect(
        trainClassifier(model, { x, y: Y }, { epochs: 1, batchSize: 2, loss: logLoss }),
      ).rejects.toThrow(/the loss became NaN at epoch 1, step 1/);
    });
    const features = tf.tensor2d([[1e30], [2e30], [-1e30]]);
    await expectNoLeak(async () => {
      await expect(
        fitPropertyModel(features, [1, 2, 3], { hidden: [4], epochs: 2 }),
      ).rejects.toThrow(MedkitError);
    });
    tf.dispose([x, features]);
    model.dispose();
  });

  it('fitPropertyModel reports progress and stops on an AbortSignal', async () => {
    const x = tf.tidy(() => tf.randomUniform([30, 3], 0, 1, 'float32', 4));
    const y = Array.from({ length: 30 }, (_, i) => i / 30);
    const controller = new AbortController();
    const types: string[] = [];
    const fit = await expectNoLeak(async () => {
      const r = await fitPropertyModel(x, y, {
        hidden: [4],
        epochs: 10,
        batchSize: 10,
        signal: controller.signal,
        onProgress: (e) => {
          types.push(e.type);
          if (e.type === 'epochEnd' && e.epoch === 2) controller.abort();
        },
      });
      r.model.dispose();
      return r;
    });
    expect(fit.stopReason).toBe('aborted');
    expect(fit.epochs).toBe(2);
    expect(fit.loss).toHaveLength(2);
    expect(types.slice(0, 2)).toEqual(['start', 'epochStart']);
    expect(types.filter((t) => t === 'stepEnd')).toHaveLength(6);
    expect(types.at(-1)).toBe('end');
    x.dispose();
  });
});
