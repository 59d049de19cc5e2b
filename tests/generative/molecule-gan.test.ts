/**
 * Molecule GANs: packing graphs into one vector and back is exact on real NCI molecules; sampled
 * decoding is seeded, always valid, and reads one-hot graphs as argmax does; createMoleculeGan's
 * generator emits a distribution per atom and per atom pair in the packed layout, trains with
 * GanTrainer on every backend (also conditional) without leaking; bad input.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { registerSecondOrderGradients, registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError, ShapeError } from '../../src/core/index.js';
import {
  createMoleculeGan,
  decodeMoleculeGraphs,
  encodeMoleculeGraphs,
  GanTrainer,
  moleculeMetrics,
  packedGraphSize,
  packMoleculeGraphs,
  unpackMoleculeGraphs,
} from '../../src/generative/index.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../src/node/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

registerSecondOrderGradients(); // the penalties differentiate a gradient

const nci = readFileSync(new URL('../fixtures/nci-300.smi', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split(/\s+/)[0]!);
const spec = { atomTypes: ['C', 'N', 'O', 'F', 'S', 'Cl', 'Br'], maxAtoms: 20 };

registerTrainingKernels();

describeBackends('packed molecular graphs', () => {
  it('pack → unpack gives back the graphs exactly; the size is as documented', async () => {
    const g = await encodeMoleculeGraphs(nci, spec);
    expect(g.smiles.length).toBeGreaterThan(150);
    expect(packedGraphSize(spec)).toBe(20 * 8 + 190 * 4);
    await expectNoLeak(async () => {
      const packed = packMoleculeGraphs(g.atoms, g.bonds);
      expect(packed.shape).toEqual([g.smiles.length, 920]);
      // each atom's row and each pair's bond row is one-hot: a molecule's vector sums to 20 + 190
      const sums = tf.sum(packed, 1);
      for (const v of await sums.data()) expect(v).toBe(210);
      const { atoms, bonds } = unpackMoleculeGraphs(packed, spec);
      const dA = tf.tidy(() => tf.max(tf.abs(tf.sub(atoms, g.atoms))));
      const dB = tf.tidy(() => tf.max(tf.abs(tf.sub(bonds, g.bonds))));
      expect((await dA.data())[0]).toBe(0);
      expect((await dB.data())[0]).toBe(0);
      tf.dispose([packed, sums, atoms, bonds, dA, dB]);
    });
    tf.dispose([g.atoms, g.bonds]);
  });

  it('sampled decoding: one-hot graphs decode as with argmax; probabilities decode seeded and valid', async () => {
    const g = await encodeMoleculeGraphs(nci.slice(0, 60), spec);
    const argmax = await decodeMoleculeGraphs(g.atoms, g.bonds, spec);
    const sampled = await decodeMoleculeGraphs(g.atoms, g.bonds, spec, { mode: 'sample', seed: 4 });
    expect(sampled).toEqual(argmax);
    const small = { atomTypes: ['C', 'N', 'O'], maxAtoms: 10 };
    const atoms = tf.softmax(tf.randomNormal([40, 10, 4], 0, 1, 'float32', 1));
    const bonds = tf.softmax(
      tf.add(tf.randomNormal([40, 10, 10, 4], 0, 1, 'float32', 2), tf.tensor1d([1, 0, 0, 0])),
    );
    const a = await decodeMoleculeGraphs(atoms, bonds, small, { mode: 'sample', seed: 9 });
    const b = await decodeMoleculeGraphs(atoms, bonds, small, { mode: 'sample', seed: 9 });
    const c = await decodeMoleculeGraphs(atoms, bonds, small, { mode: 'sample', seed: 10 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect((await moleculeMetrics(a, [])).validity).toBe(1);
    for (const s of a) expect(s).not.toContain('.');
    // drawing reads the distribution: more distinct molecules than argmax from the same tensors
    const arg = await decodeMoleculeGraphs(atoms, bonds, small);
    expect(new Set(a).size).toBeGreaterThanOrEqual(new Set(arg).size);
    tf.dispose([g.atoms, g.bonds, atoms, bonds]);
  });

  it('refuses bad input', async () => {
    const g = await encodeMoleculeGraphs(['CCO'], spec);
    await expect(
      decodeMoleculeGraphs(g.atoms, g.bonds, spec, { mode: 'top' as never }),
    ).rejects.toThrow(ArgumentError);
    await expect(
      decodeMoleculeGraphs(g.atoms, g.bonds, spec, { mode: 'sample', constrained: false }),
    ).rejects.toThrow(/constrained/);
    expect(() => packMoleculeGraphs(g.atoms, g.atoms)).toThrow(ShapeError);
    expect(() => packMoleculeGraphs('x' as never, g.bonds)).toThrow(ArgumentError);
    const wrong = tf.zeros([2, 919]);
    expect(() => unpackMoleculeGraphs(wrong, spec)).toThrow(/\[n, 920\]/);
    expect(() => unpackMoleculeGraphs(wrong, { atomTypes: [], maxAtoms: 3 })).toThrow(
      ArgumentError,
    );
    tf.dispose([g.atoms, g.bonds, wrong]);
  });
});

describeBackends('createMoleculeGan', () => {
  const small = { atomTypes: ['C', 'N', 'O'], maxAtoms: 6 };

  it('emits one distribution per atom and per atom pair, in the packed layout', async () => {
    await expectNoLeak(async () => {
      const { generator: G, discriminator: D } = createMoleculeGan({
        spec: small,
        latentDim: 8,
        hidden: [16, 32],
      });
      const size = packedGraphSize(small); // 6·4 + 15·4 = 84
      expect(G.outputs[0]!.shape).toEqual([null, size]);
      expect(D.inputs[0]!.shape).toEqual([null, size]);
      const z = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
      const x = G.predict(z) as tf.Tensor;
      const { atoms, bonds } = unpackMoleculeGraphs(x, small);
      const rowSums = [tf.sum(atoms, -1), tf.sum(bonds, -1)];
      for (const r of rowSums) for (const v of await r.data()) expect(v).toBeCloseTo(1, 5);
      const logits = D.predict(x) as tf.Tensor;
      expect(logits.shape).toEqual([5, 1]);
      const smiles = await decodeMoleculeGraphs(atoms, bonds, small, { mode: 'sample' });
      expect((await moleculeMetrics(smiles, [])).validity).toBe(1);
      tf.dispose([z, x, atoms, bonds, logits, ...rowSums]);
      G.dispose();
      D.dispose();
    });
  });

  it('trains with GanTrainer, also conditional, without leaking', async () => {
    const g = await encodeMoleculeGraphs(
      ['CCO', 'CCN', 'CC=O', 'OCCO', 'NCCN', 'CC(C)O', 'C1CCOC1', 'CCOC'],
      small,
    );
    const x = packMoleculeGraphs(g.atoms, g.bonds);
    const condition = tf.tensor2d([0, 1, 0, 1, 0, 1, 0, 1], [8, 1]);
    for (const conditionDim of [0, 1]) {
      const { generator, discriminator } = createMoleculeGan({
        spec: small,
        latentDim: 8,
        hidden: [16],
        conditionDim,
        seed: 2,
      });
      const trainer = new GanTrainer({
        generator,
        discriminator,
        loss: 'wasserstein',
        gradientPenaltyWeight: 10,
        criticSteps: 2,
        seed: 1,
      });
      const before = tf.memory().numTensors;
      const data = conditionDim ? { x, condition } : { x };
      await trainer.fit(data, { epochs: 2, batchSize: 4 });
      const after = tf.memory().numTensors;
      const { history } = await trainer.fit(data, { epochs: 3, batchSize: 4 });
      expect(tf.memory().numTensors).toBe(after); // optimizer slots exist after the first step
      expect(after).toBeGreaterThan(before);
      expect(history.generatorLoss.every(Number.isFinite)).toBe(true);
      const c = conditionDim ? tf.ones([3, 1]) : undefined;
      const s = trainer.sample(3, { seed: 1, condition: c });
      expect(s.shape).toEqual([3, packedGraphSize(small)]);
      tf.dispose([s, c ?? []]);
      trainer.dispose();
      generator.dispose();
      discriminator.dispose();
    }
    tf.dispose([g.atoms, g.bonds, x, condition]);
  });

  it('refuses bad options', () => {
    expect(() => createMoleculeGan({ spec: { atomTypes: ['Xx'], maxAtoms: 4 } })).toThrow(
      /not supported/,
    );
    expect(() => createMoleculeGan({ spec: small, hidden: [] })).toThrow(/hidden/);
    expect(() => createMoleculeGan({ spec: small, latentDim: 0 })).toThrow(ArgumentError);
    expect(() => createMoleculeGan(undefined as never)).toThrow(ArgumentError);
  });
});
