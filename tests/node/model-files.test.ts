import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FormatError, MedkitError } from '../../src/index.js';
import { createLoss, isMedkitLoss } from '../../src/losses/index.js';
import { folderHandler, loadModel, saveModel } from '../../src/node/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

function makeModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 1] });
  const flat = tfl.layers.flatten().apply(input);
  const hidden = tfl.layers.dense({ units: 4, activation: 'relu', name: 'hidden' }).apply(flat);
  const out = tfl.layers.dense({ units: 2, name: 'logits' }).apply(hidden) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medkit-model-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeBackends('saveModel / loadModel', () => {
  it('round-trips topology and weights exactly, and recompiles the library loss with its options', async () => {
    const model = makeModel();
    const loss = createLoss('softmaxCrossEntropy', { labelSmoothing: 0.05, classWeights: [1, 4] });
    model.compile({ optimizer: tf.train.adam(0.003), loss, metrics: ['accuracy'] });
    const x = tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1], 'int32'), 2);
    // two optimizer steps so Adam has state to save
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const result = await saveModel(model, dir);
    expect(result).toMatchObject({
      files: ['model.json', 'weights.bin', 'optimizer.bin'],
      trainingConfigSaved: true,
    });

    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1); // bit-exact
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    expect(isMedkitLoss(loaded.loss)).toBe(true);
    expect((loaded.loss as unknown as { config: unknown }).config).toEqual(loss.config);
    expect(loaded.optimizer.getConfig()).toEqual(model.optimizer.getConfig());
    // the optimizer state came back: one more identical step gives identical weights
    const o1 = await model.optimizer.getWeights();
    const o2 = await loaded.optimizer.getWeights();
    expect(o2.map((w) => Array.from(w.tensor.dataSync()))).toEqual(
      o1.map((w) => Array.from(w.tensor.dataSync())),
    );
    tf.dispose([x, y, p1, p2]);
    model.dispose();
    loaded.dispose();
  });

  it('writes the tfjs layout: model.json + weights.bin readable by tf.loadLayersModel', async () => {
    const model = makeModel();
    await saveModel(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.userDefinedMetadata.medkit.version).toBe(1);
    const weights = await readFile(join(dir, 'weights.bin'));
    const viaTfjs = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    expect(viaTfjs.countParams()).toBe(model.countParams());
    model.dispose();
    viaTfjs.dispose();
  });

  it('saves an uncompiled model or one with a function loss, saying why the config was not stored', async () => {
    const model = makeModel();
    expect(await saveModel(model, dir)).toMatchObject({
      trainingConfigSaved: false,
      trainingConfigNote: /not compiled/,
    });
    model.compile({
      optimizer: 'sgd',
      loss: (a: tf.Tensor, b: tf.Tensor) => tf.losses.meanSquaredError(a, b),
    });
    expect(await saveModel(model, dir)).toMatchObject({
      trainingConfigSaved: false,
      trainingConfigNote: /plain function/,
    });
    const loaded = await loadModel(dir);
    expect(loaded.optimizer).toBeUndefined();
    model.dispose();
    loaded.dispose();
  });

  it('takes file:// URLs, and passes other URLs and IOHandlers to the platform-independent save/load', async () => {
    const model = makeModel();
    model.compile({ optimizer: tf.train.adam(), loss: createLoss('softmaxCrossEntropy') });
    const url = pathToFileURL(dir).href;
    expect((await saveModel(model, url)).files).toEqual([
      'model.json',
      'weights.bin',
      'optimizer.bin',
    ]);
    const fromUrl = await loadModel(url);
    const viaHandler = await loadModel(folderHandler(dir));
    expect(fromUrl.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      viaHandler.getWeights().map((w) => Array.from(w.dataSync())),
    );
    const other = join(dir, 'other');
    expect(await saveModel(model, folderHandler(other))).toMatchObject({
      files: [],
      optimizerSaved: true,
    });
    const back = await loadModel(folderHandler(other));
    expect(isMedkitLoss(back.loss)).toBe(true);
    await expect(saveModel(model, 'nowhere://x')).rejects.toThrow(/matches no tfjs save handlers/);
    expect(() => folderHandler('')).toThrow(MedkitError);
    for (const m of [model, fromUrl, viaHandler, back]) m.dispose();
  });

  it('leaves no tensor behind', async () => {
    const model = makeModel();
    model.compile({ optimizer: tf.train.adam(), loss: createLoss('softmaxCrossEntropy') });
    await saveModel(model, dir); // warm-up
    await expectNoLeak(async () => {
      await saveModel(model, dir);
    });
    const before = tf.memory().numTensors;
    const loaded = await loadModel(dir);
    loaded.dispose();
    loaded.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('reports corrupt, truncated and missing files with a FormatError', async () => {
    const model = makeModel();
    await saveModel(model, dir);
    await truncate(join(dir, 'weights.bin'), 10);
    await expect(loadModel(dir)).rejects.toThrow(FormatError);
    await expect(loadModel(dir)).rejects.toThrow(
      /is truncated: 10 bytes, the manifest describes 632/,
    );
    await saveModel(model, dir);
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), text.slice(0, text.length / 2));
    await expect(loadModel(dir)).rejects.toThrow(/not valid JSON/);
    await writeFile(join(dir, 'model.json'), '{"hello": 1}');
    await expect(loadModel(dir)).rejects.toThrow(/no modelTopology/);
    await expect(loadModel(join(dir, 'nowhere'))).rejects.toThrow(/cannot read/);
    await expect(saveModel({} as tfl.LayersModel, dir)).rejects.toThrow(MedkitError);
    model.dispose();
  });
});
