/**
 * Molecular graphs: encode → decode returns the same molecule (canonical SMILES) for every real
 * NCI molecule the spec holds, constrained or not; skipped molecules carry their reason;
 * valence-masked decoding of random probabilities always gives one valid molecule while plain
 * argmax mostly does not; shapes and bad input.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, ShapeError } from '../../src/core/index.js';
import {
  decodeMoleculeGraphs,
  encodeMoleculeGraphs,
  loadRdkit,
  moleculeMetrics,
} from '../../src/generative/index.js';
import '../helpers/backends.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../src/node/index.js';

const nci = readFileSync(new URL('../fixtures/nci-300.smi', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split(/\s+/)[0]!);
const spec = { atomTypes: ['C', 'N', 'O', 'F', 'P', 'S', 'Cl', 'Br', 'I'], maxAtoms: 32 };

async function canonical(s: string): Promise<string> {
  const rdkit = await loadRdkit();
  const m = rdkit.get_mol(s);
  const c = m?.get_smiles() ?? '';
  m?.delete();
  return c;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('molecular graphs', () => {
  it('round-trips every real molecule the spec holds, and says why the others were skipped', async () => {
    const g = await encodeMoleculeGraphs(nci, spec);
    expect(g.atoms.shape).toEqual([g.smiles.length, 32, 10]);
    expect(g.bonds.shape).toEqual([g.smiles.length, 32, 32, 4]);
    expect(g.smiles.length + g.skipped.length).toBe(nci.length);
    expect(g.smiles.length).toBeGreaterThan(200);
    for (const s of g.skipped)
      expect(s.reason).toMatch(/atoms, more than|not in atomTypes|charged|radical|isotope|rejects/);
    // one-hot rows, symmetric bonds
    const rowSums = tf.sum(g.atoms, -1);
    expect(tf.min(rowSums).dataSync()[0]).toBe(1);
    const asym = tf.max(tf.abs(tf.sub(g.bonds, tf.transpose(g.bonds, [0, 2, 1, 3]))));
    expect(asym.dataSync()[0]).toBe(0);
    const expected = await Promise.all(g.smiles.map(canonical));
    expect(await decodeMoleculeGraphs(g.atoms, g.bonds, spec, { constrained: false })).toEqual(
      expected,
    );
    // the constrained decoder builds one connected molecule: equal wherever there is one fragment
    const back = await decodeMoleculeGraphs(g.atoms, g.bonds, spec);
    let single = 0;
    expected.forEach((e, i) => {
      if (e.includes('.')) {
        expect(back[i]).not.toContain('.');
      } else {
        single++;
        expect(back[i]).toBe(e);
      }
    });
    expect(single).toBeGreaterThan(200);
    tf.dispose([g.atoms, g.bonds, rowSums, asym]);
  });

  it('valence masks make every decoding of random probabilities valid; plain argmax does not', async () => {
    const n = 64;
    const atoms = tf.softmax(tf.randomNormal([n, 12, 5], 0, 2, 'float32', 1));
    const raw = tf.randomNormal([n, 12, 12, 4], 0, 2, 'float32', 2);
    const bonds = tf.softmax(tf.add(raw, tf.tensor1d([1.5, 0, 0, 0])));
    const small = { atomTypes: ['C', 'N', 'O', 'F'], maxAtoms: 12 };
    const masked = await decodeMoleculeGraphs(atoms, bonds, small);
    const plain = await decodeMoleculeGraphs(atoms, bonds, small, { constrained: false });
    const m = await moleculeMetrics(masked, []);
    const p = await moleculeMetrics(plain, []);
    expect(m.validity).toBe(1);
    for (const s of masked) expect(s).not.toContain('.'); // one connected molecule
    expect(p.validity).toBeLessThan(0.5);
    tf.dispose([atoms, raw, bonds]);
  });

  it('refuses bad input', async () => {
    await expect(encodeMoleculeGraphs(['CCO'], { atomTypes: [], maxAtoms: 4 })).rejects.toThrow(
      ArgumentError,
    );
    await expect(encodeMoleculeGraphs(['CCO'], { atomTypes: ['Xx'], maxAtoms: 4 })).rejects.toThrow(
      /not supported/,
    );
    await expect(
      encodeMoleculeGraphs(['CCO'], { atomTypes: ['C', 'C'], maxAtoms: 4 }),
    ).rejects.toThrow(/repeats/);
    await expect(encodeMoleculeGraphs(['CCO'], { atomTypes: ['C'], maxAtoms: 0 })).rejects.toThrow(
      /maxAtoms/,
    );
    await expect(
      encodeMoleculeGraphs(['CCO'], { atomTypes: ['C'], maxAtoms: 4 }, { onUnsupported: 'error' }),
    ).rejects.toThrow(FormatError);
    const g = await encodeMoleculeGraphs(['CCO', 'C1CC', '', 'C[N+](C)(C)C'], {
      atomTypes: ['C', 'N', 'O'],
      maxAtoms: 4,
    });
    expect(g.skipped.map((s) => s.reason)).toEqual([
      'RDKit rejects it',
      'empty',
      '5 atoms, more than maxAtoms 4',
    ]);
    await expect(
      decodeMoleculeGraphs(g.atoms, g.bonds, { atomTypes: ['C', 'N'], maxAtoms: 4 }),
    ).rejects.toThrow(ShapeError);
    await expect(decodeMoleculeGraphs('x' as never, g.bonds, spec)).rejects.toThrow(ArgumentError);
    tf.dispose([g.atoms, g.bonds]);
  });
});
