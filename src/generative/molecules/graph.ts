/**
 * Molecular graphs, MolGAN style: atom types one-hot `[maxAtoms, atomTypes + 1]` (the last
 * column: no atom) and bond types one-hot `[maxAtoms, maxAtoms, 4]` (none, single, double,
 * triple; Kekulé form). Encoding goes through RDKit; decoding builds a molfile RDKit sanitises,
 * optionally under valence masks so that every decoded graph is a valid molecule.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, FormatError, ShapeError } from '../../core/errors.js';
import { Random, type Seed } from '../../core/random.js';
import { resolveOptions } from '../../core/validate.js';
import { checkSmilesList, loadRdkit, moleculeJson, type RdkitMol, withMolecule } from './rdkit.js';

/** What a graph encoding holds: which elements, and how many atoms at most. */
export interface MoleculeGraphSpec {
  /** Element symbols, e.g. `['C', 'N', 'O', 'F', 'S', 'Cl', 'Br']`. */
  atomTypes: string[];
  /** Heavy atoms at most. */
  maxAtoms: number;
}

/** A molecule {@link encodeMoleculeGraphs} skipped. */
export interface SkippedMolecule {
  /** Its position in the input. */
  index: number;
  /** The SMILES given. */
  smiles: string;
  /** Why: RDKit rejects it, an element not in the spec, too many atoms, a charge, … */
  reason: string;
}

/** A batch of encoded graphs. */
export interface MoleculeGraphs {
  /** `[n, maxAtoms, atomTypes.length + 1]` one-hot; the last column marks "no atom". */
  atoms: tf.Tensor3D;
  /** `[n, maxAtoms, maxAtoms, 4]` one-hot, symmetric: none, single, double, triple. */
  bonds: tf.Tensor4D;
  /** The SMILES encoded, in order (the skipped ones left out). */
  smiles: string[];
  /** What was not encoded and why (with `onUnsupported: 'skip'`). */
  skipped: SkippedMolecule[];
}

/** Graph tensors without their SMILES: what {@link unpackMoleculeGraphs} returns. */
export interface MoleculeGraphTensors {
  /** `[n, maxAtoms, atomTypes.length + 1]`; the last column is "no atom". */
  atoms: tf.Tensor3D;
  /** `[n, maxAtoms, maxAtoms, 4]`, symmetric: none, single, double, triple. */
  bonds: tf.Tensor4D;
}

/** Options of {@link encodeMoleculeGraphs}. */
export interface EncodeGraphOptions {
  /**
   * What to do with a SMILES RDKit rejects, or a molecule the spec cannot hold (another element,
   * too many atoms, a charge, a radical, an isotope): skip and report it (the default), or throw.
   */
  onUnsupported?: 'skip' | 'error';
}

/** Options of {@link decodeMoleculeGraphs}. */
export interface DecodeGraphOptions {
  /**
   * Decode under valence masks (default true): atoms in order up to the first "no atom" (which
   * the first atom cannot be); then each atom joins the molecule built so far by a bond that both
   * atoms' remaining valence allows (an atom that cannot join ends the molecule); then further
   * bonds between atoms already joined, where valences allow. Every decoded graph is then one
   * connected molecule RDKit accepts (so a salt's fragments come back joined). With `false`,
   * plain argmax: what RDKit rejects decodes to `''` (invalid).
   */
  constrained?: boolean;
  /**
   * How each choice is made from the probabilities (constrained decoding only): `'argmax'` (the
   * default) takes the most probable allowed atom type or bond, further bonds most probable first;
   * `'sample'` draws each from the allowed choices in proportion to their probabilities (seeded),
   * reading a generator's softmax outputs as the categorical distributions they are.
   */
  mode?: 'argmax' | 'sample';
  /** The seed of `mode: 'sample'`. Defaults to 0. */
  seed?: Seed;
}

// Highest valence RDKit's default model allows a neutral atom of each element.
const MAX_VALENCE: Record<string, number> = {
  H: 1,
  B: 3,
  C: 4,
  N: 3,
  O: 2,
  F: 1,
  Si: 4,
  P: 5,
  S: 6,
  Cl: 1,
  Se: 6,
  Br: 1,
  I: 1,
};
const ELEMENTS = [
  'H',
  'He',
  'Li',
  'Be',
  'B',
  'C',
  'N',
  'O',
  'F',
  'Ne',
  'Na',
  'Mg',
  'Al',
  'Si',
  'P',
  'S',
  'Cl',
  'Ar',
  'K',
  'Ca',
  'Sc',
  'Ti',
  'V',
  'Cr',
  'Mn',
  'Fe',
  'Co',
  'Ni',
  'Cu',
  'Zn',
  'Ga',
  'Ge',
  'As',
  'Se',
  'Br',
  'Kr',
  'Rb',
  'Sr',
  'Y',
  'Zr',
  'Nb',
  'Mo',
  'Tc',
  'Ru',
  'Rh',
  'Pd',
  'Ag',
  'Cd',
  'In',
  'Sn',
  'Sb',
  'Te',
  'I',
];

function checkSpec(fn: string, spec: MoleculeGraphSpec): void {
  if (!spec || !Array.isArray(spec.atomTypes) || spec.atomTypes.length === 0) {
    throw new ArgumentError(
      `${fn}: \`spec.atomTypes\` must be a non-empty array of element symbols.`,
    );
  }
  for (const a of spec.atomTypes) {
    if (!(a in MAX_VALENCE)) {
      throw new ArgumentError(
        `${fn}: atom type ${JSON.stringify(a)} is not supported; use ${Object.keys(MAX_VALENCE).join(', ')}.`,
      );
    }
  }
  if (new Set(spec.atomTypes).size !== spec.atomTypes.length) {
    throw new ArgumentError(`${fn}: \`spec.atomTypes\` repeats an element.`);
  }
  if (!Number.isInteger(spec.maxAtoms) || spec.maxAtoms < 1 || spec.maxAtoms > 256) {
    throw new ArgumentError(
      `${fn}: \`spec.maxAtoms\` must be an integer in [1, 256]; received ${spec.maxAtoms}.`,
    );
  }
}

interface AtomsAndBonds {
  /** Atom-type indices into the spec. */
  atoms: number[];
  /** [atom, atom, order] */
  bonds: [number, number, number][];
}

/** A molecule's graph under the spec, or why the spec cannot hold it. */
function graphOf(mol: RdkitMol, spec: MoleculeGraphSpec): AtomsAndBonds | string {
  const { atoms, bonds } = moleculeJson(mol);
  if (atoms.length === 0) return 'no atoms';
  if (atoms.length > spec.maxAtoms)
    return `${atoms.length} atoms, more than maxAtoms ${spec.maxAtoms}`;
  const types: number[] = [];
  for (const a of atoms) {
    const symbol = ELEMENTS[(a.z ?? 6) - 1] ?? `Z=${a.z}`;
    const t = spec.atomTypes.indexOf(symbol);
    if (t < 0) return `element ${symbol} is not in atomTypes`;
    if (a.chg) return 'a charged atom';
    if (a.nRad) return 'a radical';
    if (a.isotope) return 'an isotope';
    types.push(t);
  }
  const edges: [number, number, number][] = [];
  for (const bond of bonds) {
    const order = bond.bo ?? 1;
    if (order !== 1 && order !== 2 && order !== 3) return `a bond of order ${order}`;
    edges.push([bond.atoms[0], bond.atoms[1], order]);
  }
  return { atoms: types, bonds: edges };
}

/**
 * Checks that atoms and bonds are graph tensors that fit each other (and the spec, when given):
 * atoms `[n, maxAtoms, types + 1]`, bonds `[n, maxAtoms, maxAtoms, 4]`.
 */
function checkGraphTensors(
  fn: string,
  atoms: unknown,
  bonds: unknown,
  spec?: MoleculeGraphSpec,
): asserts atoms is tf.Tensor {
  if (!(atoms instanceof tf.Tensor) || !(bonds instanceof tf.Tensor)) {
    throw new ArgumentError(`${fn}: \`atoms\` and \`bonds\` must be tensors.`);
  }
  const [n, maxAtoms, columns] = atoms.shape;
  const expectedAtoms = spec?.maxAtoms ?? maxAtoms;
  const expectedColumns = spec ? spec.atomTypes.length + 1 : columns;
  if (
    atoms.rank !== 3 ||
    maxAtoms !== expectedAtoms ||
    columns !== expectedColumns ||
    bonds.rank !== 4 ||
    bonds.shape[0] !== n ||
    bonds.shape[1] !== maxAtoms ||
    bonds.shape[2] !== maxAtoms ||
    bonds.shape[3] !== 4
  ) {
    const m = spec ? String(spec.maxAtoms) : 'maxAtoms';
    const t = spec ? String(spec.atomTypes.length + 1) : 'types';
    throw new ShapeError(
      `${fn}: expected atoms [n, ${m}, ${t}] and bonds [n, ${m}, ${m}, 4]; received [${atoms.shape}] and [${bonds.shape}].`,
    );
  }
}

/**
 * Encodes SMILES as MolGAN-style graphs (Kekulé bonds, hydrogens implicit).
 *
 * @throws `ArgumentError` for a bad spec or input; `FormatError` for an unsupported molecule with
 * `onUnsupported: 'error'`; `BackendError` when `@rdkit/rdkit` is missing.
 * @example
 * ```ts
 * const spec = { atomTypes: ['C', 'N', 'O'], maxAtoms: 9 };
 * const g = await encodeMoleculeGraphs(['CCO', 'c1ccncc1'], spec);
 * g.atoms.shape; // [2, 9, 4]
 * ```
 */
export async function encodeMoleculeGraphs(
  smiles: readonly string[],
  spec: MoleculeGraphSpec,
  options?: EncodeGraphOptions,
): Promise<MoleculeGraphs> {
  const fn = 'encodeMoleculeGraphs';
  const { onUnsupported } = resolveOptions(fn, options, {
    onUnsupported: { constraint: { kind: 'string', oneOf: ['skip', 'error'] }, default: 'skip' },
  });
  checkSpec(fn, spec);
  checkSmilesList(fn, 'smiles', smiles);
  const rdkit = await loadRdkit();
  const { maxAtoms } = spec;
  const types = spec.atomTypes.length;
  const kept: AtomsAndBonds[] = [];
  const keptSmiles: string[] = [];
  const skipped: MoleculeGraphs['skipped'] = [];
  smiles.forEach((s, index) => {
    const graph =
      s.trim() === ''
        ? 'empty'
        : (withMolecule(rdkit, s, (mol) => graphOf(mol, spec)) ?? 'RDKit rejects it');
    if (typeof graph !== 'string') {
      kept.push(graph);
      keptSmiles.push(s);
    } else if (onUnsupported === 'error') {
      throw new FormatError(
        `${fn}: smiles[${index}] (${JSON.stringify(s)}) cannot be encoded: ${graph}.`,
      );
    } else {
      skipped.push({ index, smiles: s, reason: graph });
    }
  });
  const n = kept.length;
  const atoms = new Float32Array(n * maxAtoms * (types + 1));
  const bonds = new Float32Array(n * maxAtoms * maxAtoms * 4);
  kept.forEach((m, k) => {
    for (let i = 0; i < maxAtoms; i++) {
      atoms[(k * maxAtoms + i) * (types + 1) + (i < m.atoms.length ? m.atoms[i]! : types)] = 1;
      for (let j = 0; j < maxAtoms; j++) bonds[((k * maxAtoms + i) * maxAtoms + j) * 4] = 1;
    }
    for (const [i, j, order] of m.bonds) {
      for (const [a, b] of [
        [i, j],
        [j, i],
      ] as const) {
        const at = ((k * maxAtoms + a) * maxAtoms + b) * 4;
        bonds[at] = 0;
        bonds[at + order] = 1;
      }
    }
  });
  return {
    atoms: tf.tensor3d(atoms, [n, maxAtoms, types + 1]),
    bonds: tf.tensor4d(bonds, [n, maxAtoms, maxAtoms, 4]),
    smiles: keptSmiles,
    skipped,
  };
}

/**
 * Decodes graphs (one-hot or probabilities, e.g. a generator's softmax outputs) to canonical
 * SMILES; `''` where RDKit rejects the result (only possible with `constrained: false`).
 *
 * @throws `ShapeError` when the tensors do not fit the spec; `ArgumentError` for a bad spec.
 * @example
 * ```ts
 * const smiles = await decodeMoleculeGraphs(g.atoms, g.bonds, spec); // ['CCO', 'c1ccncc1']
 * ```
 */
export async function decodeMoleculeGraphs(
  atoms: tf.Tensor,
  bonds: tf.Tensor,
  spec: MoleculeGraphSpec,
  options?: DecodeGraphOptions,
): Promise<string[]> {
  const fn = 'decodeMoleculeGraphs';
  const { constrained, mode, seed } = resolveOptions(fn, options, {
    constrained: { constraint: { kind: 'boolean' }, default: true },
    mode: { constraint: { kind: 'string', oneOf: ['argmax', 'sample'] }, default: 'argmax' },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  checkSpec(fn, spec);
  const { maxAtoms } = spec;
  const types = spec.atomTypes.length;
  checkGraphTensors(fn, atoms, bonds, spec);
  const n = atoms.shape[0]!;
  const a = await atoms.data();
  const b = await bonds.data();
  if (mode === 'sample' && !constrained) {
    throw new ArgumentError(`${fn}: \`mode: 'sample'\` needs constrained decoding.`);
  }
  const rng = new Random(seed);
  // the index of the choice: the largest weight, or one drawn in proportion to the weights
  const choose = (weights: number[]): number => {
    if (mode === 'argmax') {
      let best = 0;
      for (let i = 1; i < weights.length; i++) if (weights[i]! > weights[best]!) best = i;
      return best;
    }
    let total = 0;
    for (const w of weights) total += Math.max(w, 0);
    if (!(total > 0)) return rng.int(weights.length);
    let u = rng.nextFloat() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= Math.max(weights[i]!, 0);
      if (u < 0) return i;
    }
    return weights.length - 1;
  };
  const rdkit = await loadRdkit();
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const atomType: number[] = [];
    for (let i = 0; i < maxAtoms; i++) {
      const at = (k * maxAtoms + i) * (types + 1);
      // constrained: the first atom cannot be "no atom" (a molecule has one at least)
      const last = constrained && i === 0 ? types - 1 : types;
      const best = choose(Array.from(a.subarray(at, at + last + 1)));
      if (best < types) atomType.push(best);
      else if (constrained)
        break; // the first "no atom" ends the molecule
      else atomType.push(-1);
    }
    const present = atomType.map((t, i) => (t >= 0 ? i : -1)).filter((i) => i >= 0);
    // bond probabilities, symmetrised
    const p = (i: number, j: number, order: number) =>
      (b[((k * maxAtoms + i) * maxAtoms + j) * 4 + order]! +
        b[((k * maxAtoms + j) * maxAtoms + i) * 4 + order]!) /
      2;
    const chosen: [number, number, number][] = [];
    if (constrained) {
      const left = present.map((i) => MAX_VALENCE[spec.atomTypes[atomType[i]!]!]!);
      const bonded = new Set<string>();
      let count = present.length;
      for (let u = 1; u < present.length; u++) {
        const candidates: [number, number, number][] = [];
        const weights: number[] = [];
        for (let v = 0; v < u; v++) {
          for (let order = 1; order <= 3; order++) {
            if (left[u]! < order || left[v]! < order) continue;
            candidates.push([u, v, order]);
            weights.push(p(present[u]!, present[v]!, order));
          }
        }
        if (candidates.length === 0) {
          count = u; // nothing left to bond to: the molecule ends here
          break;
        }
        const pick = candidates[choose(weights)]!;
        const [x, y, order] = pick;
        left[x]! -= order;
        left[y]! -= order;
        bonded.add(`${y},${x}`);
        chosen.push(pick);
      }
      // further bonds: pairs in order of their most probable bond (argmax: orders too)
      const extra: [number, number, number, number][] = [];
      for (let u = 0; u < count; u++) {
        for (let v = 0; v < u; v++) {
          if (bonded.has(`${v},${u}`)) continue;
          const none = p(present[u]!, present[v]!, 0);
          for (let order = 1; order <= 3; order++) {
            const q = p(present[u]!, present[v]!, order);
            if (mode === 'sample' || q > none) extra.push([q, u, v, order]);
          }
        }
      }
      extra.sort((x, y) => y[0] - x[0]);
      for (const [, u, v, order] of extra) {
        if (bonded.has(`${v},${u}`) || left[u]! < order || left[v]! < order) continue;
        if (mode === 'sample') {
          // none or an allowed order, drawn once per pair
          bonded.add(`${v},${u}`);
          const orders = [0, 1, 2, 3].filter((o) => o === 0 || (left[u]! >= o && left[v]! >= o));
          const drawn = orders[choose(orders.map((o) => p(present[u]!, present[v]!, o)))]!;
          if (drawn === 0) continue;
          left[u]! -= drawn;
          left[v]! -= drawn;
          chosen.push([u, v, drawn]);
          continue;
        }
        left[u]! -= order;
        left[v]! -= order;
        bonded.add(`${v},${u}`);
        chosen.push([u, v, order]);
      }
      present.length = count;
    } else {
      for (let u = 0; u < present.length; u++) {
        for (let v = 0; v < u; v++) {
          let best = 0;
          for (let order = 1; order <= 3; order++)
            if (p(present[u]!, present[v]!, order) > p(present[u]!, present[v]!, best))
              best = order;
          if (best > 0) chosen.push([u, v, best]);
        }
      }
    }
    if (present.length === 0) {
      out.push('');
      continue;
    }
    const molfile = [
      '',
      '  tfjs-medkit',
      '',
      `${pad(present.length, 3)}${pad(chosen.length, 3)}  0  0  0  0  0  0  0  0999 V2000`,
      ...present.map(
        (i) =>
          `    0.0000    0.0000    0.0000 ${spec.atomTypes[atomType[i]!]!.padEnd(3)} 0  0  0  0  0  0  0  0  0  0  0  0`,
      ),
      ...chosen.map(([u, v, order]) => `${pad(u + 1, 3)}${pad(v + 1, 3)}${pad(order, 3)}  0`),
      'M  END',
      '',
    ].join('\n');
    out.push(withMolecule(rdkit, molfile, (mol) => mol.get_smiles()) ?? '');
  }
  return out;
}

function pad(x: number, width: number): string {
  return String(x).padStart(width);
}

/**
 * The length of one packed graph (see {@link packMoleculeGraphs}) under a spec:
 * `maxAtoms · (atomTypes + 1) + maxAtoms · (maxAtoms − 1) / 2 · 4`.
 *
 * @throws `ArgumentError` for a bad spec.
 */
export function packedGraphSize(spec: MoleculeGraphSpec): number {
  checkSpec('packedGraphSize', spec);
  const { maxAtoms } = spec;
  return maxAtoms * (spec.atomTypes.length + 1) + ((maxAtoms * (maxAtoms - 1)) / 2) * 4;
}

/** The flat index `i · maxAtoms + j` of each atom pair i < j, row by row. */
function upperPairs(maxAtoms: number): Int32Array {
  const out = new Int32Array((maxAtoms * (maxAtoms - 1)) / 2);
  let k = 0;
  for (let i = 0; i < maxAtoms; i++)
    for (let j = i + 1; j < maxAtoms; j++) out[k++] = i * maxAtoms + j;
  return out;
}

/**
 * Packs graphs into one vector per molecule, the form a single-output generator produces and an
 * MLP discriminator reads: the atom one-hots row by row, then the bond one-hots of each atom pair
 * i < j (the diagonal and the mirrored half carry nothing new). Any backend; differentiable.
 *
 * @param atoms - `[n, maxAtoms, atomTypes + 1]`.
 * @param bonds - `[n, maxAtoms, maxAtoms, 4]` (symmetric).
 * @returns `[n, packedGraphSize(spec)]`.
 * @throws `ShapeError` when the tensors do not fit each other.
 * @example
 * ```ts
 * const g = await encodeMoleculeGraphs(smiles, spec);
 * const x = packMoleculeGraphs(g.atoms, g.bonds); // GanTrainer's real samples
 * ```
 */
export function packMoleculeGraphs(atoms: tf.Tensor, bonds: tf.Tensor): tf.Tensor2D {
  const fn = 'packMoleculeGraphs';
  checkGraphTensors(fn, atoms, bonds);
  const [n, maxAtoms] = atoms.shape;
  return tf.tidy(() => {
    const pairs = tf.gather(
      tf.reshape(bonds, [n!, maxAtoms! * maxAtoms!, 4]),
      tf.tensor1d(upperPairs(maxAtoms!), 'int32'),
      1,
    );
    return tf.concat([tf.reshape(atoms, [n!, -1]), tf.reshape(pairs, [n!, -1])], 1) as tf.Tensor2D;
  });
}

/**
 * The inverse of {@link packMoleculeGraphs}: atoms `[n, maxAtoms, atomTypes + 1]` and symmetric
 * bonds `[n, maxAtoms, maxAtoms, 4]` (the diagonal "none"), ready for
 * {@link decodeMoleculeGraphs}. The caller disposes both.
 *
 * @throws `ShapeError` when `packed` is not `[n, packedGraphSize(spec)]`; `ArgumentError` for a
 *   bad spec.
 */
export function unpackMoleculeGraphs(
  packed: tf.Tensor,
  spec: MoleculeGraphSpec,
): MoleculeGraphTensors {
  const fn = 'unpackMoleculeGraphs';
  const size = packedGraphSize(spec);
  if (!(packed instanceof tf.Tensor) || packed.rank !== 2 || packed.shape[1] !== size) {
    throw new ShapeError(
      `${fn}: expected [n, ${size}] for this spec; received ${packed instanceof tf.Tensor ? `[${packed.shape}]` : describeValue(packed)}.`,
    );
  }
  const { maxAtoms } = spec;
  const n = packed.shape[0]!;
  const atomSize = maxAtoms * (spec.atomTypes.length + 1);
  const pairCount = (maxAtoms * (maxAtoms - 1)) / 2;
  // where each (i, j) reads from: its pair i < j, the mirrored pair, or the "none" row (diagonal)
  const source = new Int32Array(maxAtoms * maxAtoms).fill(pairCount);
  upperPairs(maxAtoms).forEach((flat, k) => {
    const i = Math.floor(flat / maxAtoms);
    const j = flat % maxAtoms;
    source[flat] = k;
    source[j * maxAtoms + i] = k;
  });
  return tf.tidy(() => {
    const [atomPart, pairPart] = tf.split(packed, [atomSize, pairCount * 4], 1);
    const none = tf.tile(tf.tensor3d([1, 0, 0, 0], [1, 1, 4]), [n, 1, 1]);
    const rows = tf.concat([tf.reshape(pairPart!, [n, pairCount, 4]), none], 1);
    return {
      atoms: tf.reshape(atomPart!, [n, maxAtoms, spec.atomTypes.length + 1]) as tf.Tensor3D,
      bonds: tf.reshape(tf.gather(rows, tf.tensor1d(source, 'int32'), 1), [
        n,
        maxAtoms,
        maxAtoms,
        4,
      ]) as tf.Tensor4D,
    };
  });
}
