/**
 * Property models: Morgan fingerprints equal Debian RDKit's bit for bit; an activity model fitted
 * on one real ChEMBL assay predicts held-out molecules about as well as scikit-learn's ridge
 * regression on the same fingerprints (scripts/fixtures/chembl_activity.py); a further fit
 * continues a model; no leaks; bad input.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/core/index.js';
import { fitPropertyModel, morganFingerprints } from '../../src/generative/index.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../src/node/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const reference = JSON.parse(fixture('chembl-activity.json')) as {
  onBits: { smiles: string; bits: number[] }[];
  testEvery: number;
  ridge: { testR2: number; testPearson: number };
};
const rows = fixture('chembl2321810.smi')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split(/\s+/));
const activity = new Map(
  fixture('chembl2321810_act.csv')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',') as [string, string]),
);
const smiles = rows.map((r) => r[0]!);
const y = rows.map((r) => Number(activity.get(r[1]!)));

function r2(truth: number[], predicted: number[]): number {
  const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
  let ss = 0;
  let st = 0;
  truth.forEach((t, i) => {
    ss += (t - predicted[i]!) ** 2;
    st += (t - mean) ** 2;
  });
  return 1 - ss / st;
}

describeBackends('morganFingerprints', () => {
  it("equals RDKit's GetMorganFingerprintAsBitVect bit for bit", async () => {
    await expectNoLeak(async () => {
      const { fingerprints, indices, invalid } = await morganFingerprints(
        [...reference.onBits.map((r) => r.smiles), 'C1CC', ''],
        { nBits: 1024 },
      );
      expect(fingerprints.shape).toEqual([reference.onBits.length, 1024]);
      expect(invalid).toEqual([reference.onBits.length, reference.onBits.length + 1]);
      expect(indices).toEqual(reference.onBits.map((_, i) => i));
      const bits = await fingerprints.data();
      reference.onBits.forEach((r, k) => {
        const on: number[] = [];
        for (let b = 0; b < 1024; b++) if (bits[k * 1024 + b] === 1) on.push(b);
        expect(on).toEqual(r.bits);
      });
      fingerprints.dispose();
    });
  });

  it('refuses bad input', async () => {
    await expect(morganFingerprints('CCO' as never)).rejects.toThrow(ArgumentError);
    await expect(morganFingerprints(['CCO'], { nBits: 1001 })).rejects.toThrow(/multiple of 8/);
    await expect(morganFingerprints(['CCO'], { radius: -1 })).rejects.toThrow(ArgumentError);
  });
});

describeBackends('fitPropertyModel', () => {
  it('learns a real assay: held-out R² near scikit-learn ridge on the same fingerprints', async () => {
    const { fingerprints } = await morganFingerprints(smiles, { nBits: 1024 });
    const test = smiles.map((_, i) => i).filter((i) => i % reference.testEvery === 4);
    const train = smiles.map((_, i) => i).filter((i) => i % reference.testEvery !== 4);
    const xTrain = tf.gather(fingerprints, train);
    const xTest = tf.gather(fingerprints, test);
    const before = tf.memory().numTensors;
    const { model, loss } = await fitPropertyModel(
      xTrain,
      train.map((i) => y[i]!),
      { hidden: [64], epochs: 15, batchSize: 32, weightDecay: 1e-4, seed: 1 },
    );
    expect(loss.at(-1)!).toBeLessThan(loss[0]! / 5);
    const out = model.predict(xTest) as tf.Tensor;
    const predicted = Array.from(await out.data());
    const score = r2(
      test.map((i) => y[i]!),
      predicted,
    );
    // measured: 0.688 on cpu and on wasm; scikit-learn ridge 0.708
    expect(score).toBeGreaterThan(reference.ridge.testR2 - 0.05);
    out.dispose();
    // the model's own weights are the only tensors left
    expect(tf.memory().numTensors - before).toBe(model.weights.length);
    // a further fit continues the same model
    const again = await fitPropertyModel(xTrain, tf.tensor1d(train.map((i) => y[i]!)), {
      model,
      epochs: 1,
    });
    expect(again.model).toBe(model);
    model.dispose();
    tf.dispose([fingerprints, xTrain, xTest]);
  });

  it('refuses bad input', async () => {
    const x = tf.ones([3, 2]);
    await expect(fitPropertyModel(x, [1, 2])).rejects.toThrow(ShapeError);
    await expect(fitPropertyModel(x, [1, Number.NaN, 2])).rejects.toThrow(/NaN/);
    await expect(fitPropertyModel(tf.zeros([0, 2]), [])).rejects.toThrow(ArgumentError);
    await expect(fitPropertyModel(x, [1, 2, 3], { hidden: [0] })).rejects.toThrow(/hidden/);
    await expect(fitPropertyModel(x, [1, 2, 3], { learningRate: 0 })).rejects.toThrow(
      ArgumentError,
    );
    const nan = tf.tensor2d([1, Number.NaN, 0, 0, 1, 1], [3, 2]);
    await expect(fitPropertyModel(nan, [1, 2, 3])).rejects.toThrow(/NaN/);
    const { model } = await fitPropertyModel(x, [1, 2, 3], { epochs: 1, hidden: [2] });
    await expect(fitPropertyModel(tf.ones([3, 5]), [1, 2, 3], { model })).rejects.toThrow(
      ShapeError,
    );
    model.dispose();
    tf.dispose([x, nan]);
  });
});
