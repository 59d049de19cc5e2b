/**
 * Molecule metrics as MOSES and GuacaMol report them, on RDKit's chemistry: validity,
 * uniqueness, novelty and internal diversity.
 *
 * @module
 */
import { ArgumentError } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import { drugLikeness } from './drug-likeness.js';
import {
  checkSmilesList,
  loadRdkit,
  type RdkitModule,
  type RdkitMol,
  withMolecule,
} from './rdkit.js';

/** What {@link moleculeMetrics} returns: four fractions in [0, 1] and the counts behind them. */
export interface MoleculeMetrics {
  /** Valid ÷ generated (an empty string, or a SMILES RDKit rejects, is invalid). */
  validity: number;
  /** Distinct canonical SMILES ÷ valid. */
  uniqueness: number;
  /** Distinct valid molecules not in the canonicalised training set ÷ distinct valid. */
  novelty: number;
  /**
   * 1 − mean Tanimoto similarity over pairs i ≠ j of the distinct valid molecules (Morgan
   * fingerprints, radius 2, 2048 bits).
   */
  internalDiversity: number;
  /** How many generated strings were valid. */
  valid: number;
  /** How many distinct valid molecules. */
  distinct: number;
  /** How many distinct valid molecules are not in the training set. */
  novel: number;
}

/** Options of {@link moleculeMetrics}. */
export interface MoleculeMetricsOptions {
  /** Morgan radius for internal diversity. Defaults to 2. */
  radius?: number;
  /** Fingerprint length in bits (a multiple of 32). Defaults to 2048. */
  nBits?: number;
}

/**
 * Validity, uniqueness, novelty and internal diversity of generated molecules, by RDKit's rules
 * (parsing with sanitisation, canonical SMILES, Morgan fingerprints). A zero denominator gives 0.
 * Invalid training SMILES are ignored.
 *
 * Internal diversity is exact (all pairs), which costs n²/2 fingerprint comparisons
 * (docs/generative.md gives the time measured against RDKit's Python).
 *
 * @param generated - SMILES strings, as the generator decoded them.
 * @param training - the training set's SMILES, for novelty.
 * @throws `ArgumentError` for arguments that are not arrays of strings, or bad options;
 * `BackendError` when `@rdkit/rdkit` is missing.
 * @example
 * ```ts
 * const m = await moleculeMetrics(['CCO', 'OCC', 'C1CC', 'c1ccccc1'], ['CCO']);
 * // { validity: 0.75, uniqueness: 2/3, novelty: 0.5, internalDiversity: 1, … }
 * ```
 */
export async function moleculeMetrics(
  generated: readonly string[],
  training: readonly string[],
  options?: MoleculeMetricsOptions,
): Promise<MoleculeMetrics> {
  checkSmilesList('moleculeMetrics', 'generated', generated);
  checkSmilesList('moleculeMetrics', 'training', training);
  const { radius, nBits } = resolveOptions('moleculeMetrics', options, {
    radius: { constraint: { kind: 'number', integer: true, min: 0, max: 8 }, default: 2 },
    nBits: { constraint: { kind: 'number', integer: true, min: 32 }, default: 2048 },
  });
  if (nBits % 32 !== 0) {
    throw new ArgumentError(
      `moleculeMetrics: \`nBits\` must be a positive multiple of 32. Received: ${nBits}.`,
    );
  }
  const rdkit = await loadRdkit();
  const details = JSON.stringify({ radius, nBits });
  let valid = 0;
  const fingerprints = new Map<string, Uint32Array>();
  for (const s of generated) {
    const canonical = canonicalize(rdkit, s, (mol, smiles) => {
      if (!fingerprints.has(smiles)) {
        const bytes = mol.get_morgan_fp_as_uint8array(details);
        fingerprints.set(smiles, new Uint32Array(bytes.slice().buffer));
      }
    });
    if (canonical !== undefined) valid++;
  }
  const trainingSet = new Set<string>();
  for (const s of training) {
    const canonical = canonicalize(rdkit, s);
    if (canonical !== undefined) trainingSet.add(canonical);
  }
  const distinct = fingerprints.size;
  let novel = 0;
  for (const smiles of fingerprints.keys()) if (!trainingSet.has(smiles)) novel++;
  return {
    validity: generated.length > 0 ? valid / generated.length : 0,
    uniqueness: valid > 0 ? distinct / valid : 0,
    novelty: distinct > 0 ? novel / distinct : 0,
    internalDiversity: internalDiversity([...fingerprints.values()]),
    valid,
    distinct,
    novel,
  };
}

/** Canonical SMILES, or undefined for an empty string or one RDKit rejects. */
function canonicalize(
  rdkit: RdkitModule,
  smiles: string,
  withMol?: (mol: RdkitMol, canonical: string) => void,
): string | undefined {
  return withMolecule(rdkit, smiles, (mol) => {
    const canonical = mol.get_smiles();
    if (canonical === '') return undefined;
    withMol?.(mol, canonical);
    return canonical;
  });
}

/** 1 − mean Tanimoto over pairs i ≠ j; 0 with fewer than two fingerprints. */
function internalDiversity(fps: Uint32Array[]): number {
  const n = fps.length;
  if (n < 2) return 0;
  const counts = fps.map(popcountAll);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = fps[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = fps[j]!;
      let both = 0;
      for (let k = 0; k < a.length; k++) both += popcount(a[k]! & b[k]!);
      const union = counts[i]! + counts[j]! - both;
      // RDKit's TanimotoSimilarity gives 0 for two empty fingerprints
      sum += union > 0 ? both / union : 0;
    }
  }
  return 1 - sum / ((n * (n - 1)) / 2);
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function popcountAll(a: Uint32Array): number {
  let c = 0;
  for (let k = 0; k < a.length; k++) c += popcount(a[k]!);
  return c;
}

/** What {@link propertyDistances} returns: 1-D Wasserstein distances, in each property's units. */
export interface PropertyDistances {
  /** Between the Crippen logP distributions. */
  logP: number;
  /** Between the QED distributions. */
  qed: number;
  /** Between the molecular-weight distributions (daltons). */
  molecularWeight: number;
}

/**
 * How far the generated molecules' property distributions are from the training set's, as MOSES
 * reports it: the 1-D Wasserstein (earth mover's) distance between the empirical distributions of
 * logP, QED and molecular weight over the valid molecules of each set (duplicates count, as
 * generated). Lower is closer; 0 is the same distribution.
 *
 * @throws `ArgumentError` for arguments that are not arrays of strings, or a set without a valid
 * molecule; `BackendError` when `@rdkit/rdkit` is missing.
 * @example
 * ```ts
 * const d = await propertyDistances(generated, training); // { logP: 0.94, qed: 0.048, molecularWeight: 18.7 }
 * ```
 */
export async function propertyDistances(
  generated: readonly string[],
  training: readonly string[],
): Promise<PropertyDistances> {
  checkSmilesList('propertyDistances', 'generated', generated);
  checkSmilesList('propertyDistances', 'training', training);
  const [g, t] = [await drugLikeness(generated), await drugLikeness(training)];
  const values = (rows: typeof g, name: string) => {
    const valid = rows.filter((r) => r !== null);
    if (valid.length === 0) {
      throw new ArgumentError(`propertyDistances: \`${name}\` has no valid molecule.`);
    }
    return {
      logP: valid.map((r) => r.lipinski.logP),
      qed: valid.map((r) => r.qed),
      molecularWeight: valid.map((r) => r.lipinski.mw),
    };
  };
  const a = values(g, 'generated');
  const b = values(t, 'training');
  return {
    logP: wasserstein1d(a.logP, b.logP),
    qed: wasserstein1d(a.qed, b.qed),
    molecularWeight: wasserstein1d(a.molecularWeight, b.molecularWeight),
  };
}

/**
 * The 1-D Wasserstein distance between two empirical distributions (scipy's
 * `wasserstein_distance` without weights).
 *
 * @throws `ArgumentError` for an empty sample or one with a value that is not finite.
 * @example
 * ```ts
 * wasserstein1d([0, 1, 3], [5, 6, 8]); // 5
 * ```
 */
export function wasserstein1d(u: readonly number[], v: readonly number[]): number {
  if (u.length === 0 || v.length === 0) {
    throw new ArgumentError('wasserstein1d: both samples must be non-empty.');
  }
  if (!u.every(Number.isFinite) || !v.every(Number.isFinite)) {
    throw new ArgumentError('wasserstein1d: the samples must be finite numbers.');
  }
  const us = Float64Array.from(u).sort();
  const vs = Float64Array.from(v).sort();
  const all = Float64Array.from([...u, ...v]).sort();
  let i = 0;
  let j = 0;
  let total = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k]!;
    while (i < us.length && us[i]! <= x) i++;
    while (j < vs.length && vs[j]! <= x) j++;
    total += Math.abs(i / us.length - j / vs.length) * (all[k + 1]! - x);
  }
  return total;
}
