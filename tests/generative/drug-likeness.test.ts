/**
 * QED and Lipinski against Debian RDKit's rdkit.Chem.QED (tests/fixtures/qed-rdkit.json, made by
 * scripts/fixtures/qed_rdkit.py) on real NCI molecules and the QED paper's examples: every
 * property, QED with the three weightings; invalid and empty SMILES; bad input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/core/index.js';
import { drugLikeness, type QedProperties, qedFromProperties } from '../../src/generative/index.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../src/node/index.js';

interface Row {
  smiles: string;
  properties: QedProperties;
  qed: number;
  qedMax: number;
  qedNone: number;
  lipinski: { mw: number; logP: number; hbd: number; hba: number };
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/qed-rdkit.json', import.meta.url), 'utf8'),
) as {
  molecules: Row[];
};

describe('drugLikeness', () => {
  it("equals RDKit's QED and its eight properties on 300 real molecules", async () => {
    const rows = fixture.molecules;
    const results = await drugLikeness(rows.map((r) => r.smiles));
    const max = await drugLikeness(
      rows.map((r) => r.smiles),
      { weights: 'max' },
    );
    const none = await drugLikeness(
      rows.map((r) => r.smiles),
      { weights: 'none' },
    );
    const off: string[] = [];
    rows.forEach((r, i) => {
      const got = results[i]!;
      expect(got, r.smiles).not.toBeNull();
      for (const k of ['HBA', 'HBD', 'ROTB', 'AROM', 'ALERTS'] as const) {
        if (got.properties[k] !== r.properties[k])
          off.push(`${r.smiles} ${k} ${got.properties[k]} vs ${r.properties[k]}`);
      }
      expect(got.properties.MW).toBeCloseTo(r.properties.MW, 2);
      expect(got.properties.ALOGP).toBeCloseTo(r.properties.ALOGP, 6);
      expect(got.properties.PSA).toBeCloseTo(r.properties.PSA, 6);
      expect(Math.abs(got.qed - r.qed)).toBeLessThan(1e-3);
      expect(Math.abs(max[i]!.qed - r.qedMax)).toBeLessThan(1e-3);
      expect(Math.abs(none[i]!.qed - r.qedNone)).toBeLessThan(1e-3);
      expect(got.lipinski.hbd).toBe(r.lipinski.hbd);
      expect(got.lipinski.hba).toBe(r.lipinski.hba);
    });
    expect(off).toEqual([]);
  });

  it("the QED paper's examples", async () => {
    const [a, b, c] = await drugLikeness([
      'N=C(CCSCc1csc(N=C(N)N)n1)NS(N)(=O)=O',
      'CNC(=NCCSCc1nc[nH]c1C)NC#N',
      'CCCCCNC(=N)NN=Cc1c[nH]c2ccc(CO)cc12',
    ]);
    // RDKit's doctest prints them truncated: 0.253..., 0.234..., 0.234...
    for (const [m, v] of [
      [a, 0.253],
      [b, 0.234],
      [c, 0.234],
    ] as const) {
      expect(m!.qed).toBeGreaterThanOrEqual(v);
      expect(m!.qed).toBeLessThan(v + 0.001);
    }
  });

  it('aspirin passes Lipinski; a long alkane breaks logP; invalid and empty SMILES give null', async () => {
    const [aspirin, alkane, bad, empty] = await drugLikeness([
      'CC(=O)Oc1ccccc1C(=O)O',
      'C'.repeat(40),
      'C1CC',
      '',
    ]);
    expect(aspirin!.lipinski).toMatchObject({ hbd: 1, violations: 0, passes: true });
    expect(aspirin!.smiles).toBe('CC(=O)Oc1ccccc1C(=O)O');
    expect(alkane!.lipinski.violations).toBe(2); // mw 563, logP 15.7
    expect(alkane!.lipinski.passes).toBe(false);
    expect(bad).toBeNull();
    expect(empty).toBeNull();
    expect(await drugLikeness('CCO')).toHaveLength(1);
  });

  it('refuses bad input with an ArgumentError', async () => {
    await expect(drugLikeness(3 as never)).rejects.toThrow(ArgumentError);
    await expect(drugLikeness(['CCO', null as never])).rejects.toThrow(/smiles\[1\]/);
    await expect(drugLikeness(['CCO'], { weights: 'median' as never })).rejects.toThrow(/weights/);
    const p = fixture.molecules[0]!.properties;
    expect(() => qedFromProperties({ ...p, MW: Number.NaN })).toThrow(/MW/);
    expect(qedFromProperties(p)).toBeCloseTo(fixture.molecules[0]!.qed, 6);
  });
});
