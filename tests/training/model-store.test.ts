/**
 * saveModel / loadModel through tfjs IOHandlers (the platform-independent part; IndexedDB itself
 * is exercised in Chromium by scripts/browser-smoke.mjs): a round trip keeps weights, the
 * library loss with its options and the optimizer's state bit for bit, so training resumes
 * exactly; stock tfjs reads what is saved and is read back; bad destinations and corrupt
 * artifacts get a MedkitError.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { createLoss, isMedkitLoss } from '../../src/losses/index.js';
import { loadModel, saveModel } from '../../src/training/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

function makeModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [5] });
  const hidden = tfl.layers
    .dense({
      units: 4,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input);
  const out = tfl.layers
    .dense({
      units: 3,
      name: 'logits',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    })
    .apply(hidden) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

/** An IOHandler keeping the artifacts in memory, as the IndexedDB handler keeps them in a store. */
function memoryStore(): tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } {
  const store: tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } = {
    async save(artifacts) {
      store.artifacts = structuredClone(artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      if (!store.artifacts) throw new Error('nothing saved');
      return structuredClone(store.artifacts);
    },
  };
  return store;
}

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describeBackends('saveModel / loadModel through an IOHandler', () => {
  const data = () => ({
    x: tf.tensor2d(
      Array.from({ length: 40 }, (_, i) => Math.sin(i * 0.7)),
      [8, 5],
    ),
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3),
  });

  it('round-trips weights, the library loss and the optimizer state: training resumes exactly', async () => {
    const { x, y } = data();
    const model = makeModel();
    const loss = createLoss('softmaxCrossEntropy', {
      labelSmoothing: 0.1,
      classWeights: [1, 2, 3],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss, metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
    const store = memoryStore();
    const info = await saveModel(model, store);
    expect(info).toMatchObject({ trainingConfigSaved: true, optimizerSaved: true });
    expect(info.artifactsInfo.weightDataBytes).toBeGreaterThan(0);
    expect(store.artifacts!.weightSpecs!.filter((s) => s.group === 'optimizer').length).toBe(9);

    const loaded = await loadModel(store);
    expect(values(loaded.getWeights())).toEqual(values(model.getWeights()));
    expect(isMedkitLoss(loaded.loss)).toBe(true);
    expect((loaded.loss as unknown as { config: unknown }).config).toEqual(loss.config);
    expect(loaded.optimizer.getConfig()).toEqual(model.optimizer.getConfig());
    // one more epoch on each: identical weights, because Adam's moments and step came back
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    await loaded.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    expect(values(loaded.getWeights())).toEqual(values(model.getWeights()));
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('stock tfjs reads what is saved, and a stock save with includeOptimizer is read back compiled', async () => {
    const { x, y } = data();
    const model = makeModel();
    model.compile({ optimizer: tf.train.adam(0.01), loss: createLoss('softmaxCrossEntropy') });
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const store = memoryStore();
    await saveModel(model, store);
    const stock = await tfl.loadLayersModel(store); // skips the optimizer group
    expect(values(stock.getWeights())).toEqual(values(model.getWeights()));

    const plain = makeModel();
    plain.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
    await plain.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const tfjsStore = memoryStore();
    await plain.save(tfjsStore, { includeOptimizer: true });
    const back = await loadModel(tfjsStore);
    expect(back.optimizer.getConfig()).toEqual(plain.optimizer.getConfig());
    const o1 = await plain.optimizer.getWeights();
    const o2 = await back.optimizer.getWeights();
    expect(values(o2.map((w) => w.tensor))).toEqual(values(o1.map((w) => w.tensor)));
    tf.dispose([x, y, o1[0]!.tensor, o2[0]!.tensor]);
    for (const m of [model, stock, plain, back]) m.dispose();
  });

  it('an uncompiled model, a function loss, compile: false, includeOptimizer: false', async () => {
    const model = makeModel();
    const store = memoryStore();
    expect(await saveModel(model, store)).toMatchObject({
      trainingConfigSaved: false,
      optimizerSaved: false,
      trainingConfigNote: /not compiled/,
    });
    model.compile({
      optimizer: 'sgd',
      loss: (a: tf.Tensor, b: tf.Tensor) => tf.losses.meanSquaredError(a, b),
    });
    expect(await saveModel(model, store)).toMatchObject({ trainingConfigNote: /plain function/ });
    model.compile({ optimizer: tf.train.adam(), loss: createLoss('softmaxCrossEntropy') });
    expect(await saveModel(model, store, { includeOptimizer: false })).toMatchObject({
      trainingConfigSaved: true,
      optimizerSaved: false,
    });
    const loaded = await loadModel(store, { compile: false });
    expect(loaded.optimizer).toBeUndefined();
    model.dispose();
    loaded.dispose();
  });

  it('leaves no tensor behind', async () => {
    const model = makeModel();
    model.compile({ optimizer: tf.train.adam(), loss: createLoss('softmaxCrossEntropy') });
    const store = memoryStore();
    await saveModel(model, store); // warm-up: Adam's slots exist after the first save
    await expectNoLeak(async () => {
      await saveModel(model, store);
    });
    const before = tf.memory().numTensors;
    const loaded = await loadModel(store);
    loaded.dispose();
    loaded.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('bad destinations and corrupt artifacts get a MedkitError', async () => {
    const model = makeModel();
    await expect(saveModel(model, 'nowhere://x')).rejects.toThrow(ArgumentError);
    await expect(saveModel(model, 'nowhere://x')).rejects.toThrow(/matches no tfjs save handlers/);
    await expect(saveModel(model, 42 as never)).rejects.toThrow(/IOHandler with save/);
    await expect(saveModel({} as never, memoryStore())).rejects.toThrow(/LayersModel/);
    await expect(
      saveModel(model, memoryStore(), { includeOptimiser: true } as never),
    ).rejects.toThrow(ArgumentError);
    await expect(loadModel('nowhere://x')).rejects.toThrow(/matches no tfjs load handlers/);
    await expect(loadModel({} as never)).rejects.toThrow(/IOHandler with load/);
    await expect(loadModel(memoryStore())).rejects.toThrow(/cannot be read: nothing saved/);

    const store = memoryStore();
    await saveModel(model, store);
    const good = store.artifacts!;
    store.artifacts = { ...good, weightData: (good.weightData as ArrayBuffer).slice(0, 10) };
    await expect(loadModel(store)).rejects.toThrow(
      /weights are truncated: 10 bytes, the manifest describes 156/,
    );
    store.artifacts = { ...good, modelTopology: undefined };
    await expect(loadModel(store)).rejects.toThrow(FormatError);
    store.artifacts = { ...good, modelTopology: { class_name: 'Nonsense', config: {} } };
    await expect(loadModel(store)).rejects.toThrow(/could not build the model/);
    store.artifacts = {
      ...good,
      weightSpecs: [{ name: 'w', shape: [2], dtype: 'complex64' as never }],
    };
    await expect(loadModel(store)).rejects.toThrow(/unsupported dtype complex64/);
    model.dispose();
  });
});
