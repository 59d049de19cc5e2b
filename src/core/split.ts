/**
 * Seeded train/test splits that keep class proportions (stratified) and keep every sample of
 * one patient on one side (grouped): the split clinical data needs, since images or visits of
 * the same patient on both sides leak the answer into the test set.
 *
 * @module
 */
import { ArgumentError, describeValue } from './errors.js';
import { Random, type Seed } from './random.js';
import { resolveOptions } from './validate.js';

/** Options of {@link splitIndices}. */
export interface SplitOptions {
  /** The share of samples held out, in (0, 1). Defaults to 0.2. */
  testSize?: number;
  /** Keep each class's share equal on both sides. Defaults to `true`. */
  stratify?: boolean;
  /**
   * A group id per sample (patient, study): all samples of a group land on the same side, and
   * the held-out share and class balance are met as closely as whole groups allow.
   */
  groups?: readonly (string | number)[];
  /** The seed of the shuffle. Defaults to 0. */
  seed?: Seed;
}

/** The two sides of a split, as sample indices in ascending order. */
export interface Split {
  /** The training side. */
  train: number[];
  /** The held-out side. */
  test: number[];
}

/**
 * Splits samples into a training and a held-out side.
 *
 * Stratified (no groups): each class c with n_c samples gives round(testSize·n_c) samples,
 * chosen by a seeded shuffle, to the held-out side (at least one of each class with two or
 * more samples). Grouped: groups are visited in a seeded order and each joins the held-out side
 * when that brings the held-out class counts closer to their targets testSize·n_c.
 *
 * @param labels - class labels, one per sample (any numbers).
 * @param options - see {@link SplitOptions}.
 * @returns the two sides; neither is empty.
 * @throws {@link ArgumentError} for fewer than two samples (or groups), a `groups` array of the
 *   wrong length, or a test size that leaves a side empty.
 *
 * @example
 * ```ts
 * const { train, test } = splitIndices([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], { testSize: 0.5, seed: 1 });
 * test.length; // 5: two of class 0, three of class 1
 * ```
 */
export function splitIndices(labels: ArrayLike<number>, options?: SplitOptions): Split {
  const fn = 'splitIndices';
  const o = resolveOptions(fn, options, {
    testSize: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
      default: 0.2,
    },
    stratify: { constraint: { kind: 'boolean' }, default: true },
    groups: { constraint: { kind: 'any' } },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const n = labels.length;
  if (n < 2) throw new ArgumentError(`${fn}: needs at least 2 samples. Received: ${n}.`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(labels[i]!)) {
      throw new ArgumentError(
        `${fn}: \`labels\` must hold finite numbers. Received: ${describeValue(labels[i])} at index ${i}.`,
      );
    }
  }
  const testSize = o.testSize;
  const rng = new Random(o.seed);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const classOf = (i: number) => (o.stratify ? classes.indexOf(labels[i]!) : 0);
  const k = o.stratify ? classes.length : 1;
  const isTest = new Uint8Array(n);
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups) || o.groups.length !== n) {
      throw new ArgumentError(
        `${fn}: \`groups\` must hold one id per sample (${n}). Received: ${describeValue(o.groups)}.`,
      );
    }
    const members = new Map<string | number, number[]>();
    o.groups.forEach((g, i) => {
      const list = members.get(g);
      if (list) list.push(i);
      else members.set(g, [i]);
    });
    if (members.size < 2) {
      throw new ArgumentError(`${fn}: a grouped split needs at least 2 groups. Received: 1.`);
    }
    const target = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) target[classOf(i)]! += testSize;
    const held = new Array<number>(k).fill(0);
    const groupList = [...members.values()];
    rng.shuffle(groupList);
    const chosen: number[][] = [];
    for (const g of groupList) {
      const add = new Array<number>(k).fill(0);
      for (const i of g) add[classOf(i)]! += 1;
      let before = 0;
      let after = 0;
      for (let c = 0; c < k; c++) {
        before += Math.abs(held[c]! - target[c]!);
        after += Math.abs(held[c]! + add[c]! - target[c]!);
      }
      if (after < before) {
        chosen.push(g);
        for (let c = 0; c < k; c++) held[c]! += add[c]!;
      }
    }
    // Both sides need a group: hold out the first group if none was chosen, give the last
    // chosen one back if all were.
    if (chosen.length === 0) chosen.push(groupList[0]!);
    if (chosen.length === groupList.length) chosen.pop();
    for (const g of chosen) for (const i of g) isTest[i] = 1;
  } else {
    const byClass: number[][] = Array.from({ length: k }, () => []);
    for (let i = 0; i < n; i++) byClass[classOf(i)]!.push(i);
    for (const members of byClass) {
      rng.shuffle(members);
      let take = Math.round(testSize * members.length);
      if (members.length >= 2) take = Math.min(Math.max(take, 1), members.length - 1);
      for (let j = 0; j < take; j++) isTest[members[j]!] = 1;
    }
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) (isTest[i] ? test : train).push(i);
  if (train.length === 0 || test.length === 0) {
    throw new ArgumentError(
      `${fn}: a test size of ${testSize} leaves the ${train.length === 0 ? 'training' : 'held-out'} side empty for ${n} samples.`,
    );
  }
  return { train, test };
}

/**
 * Stratified k-fold assignment: each class's samples are shuffled (seeded) and dealt round-robin
 * to the folds, so every fold holds each class in proportion (±1).
 *
 * @param labels - class labels, one per sample.
 * @param folds - the number of folds (≥ 2, at most the smallest class's size is advised).
 * @param seed - the shuffle's seed. Defaults to 0.
 * @returns the fold (0 … folds − 1) of each sample.
 * @throws {@link ArgumentError} for fewer than 2 folds or more folds than samples.
 *
 * @example
 * ```ts
 * const fold = stratifiedFolds([0, 0, 0, 1, 1, 1], 3); // each fold: one 0 and one 1
 * ```
 */
export function stratifiedFolds(
  labels: ArrayLike<number>,
  folds: number,
  seed: Seed = 0,
): Int32Array {
  const fn = 'stratifiedFolds';
  if (!Number.isInteger(folds) || folds < 2 || folds > labels.length) {
    throw new ArgumentError(
      `${fn}: \`folds\` must be an integer in [2, ${labels.length}]. Received: ${describeValue(folds)}.`,
    );
  }
  const rng = new Random(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!);
    if (list) list.push(i);
    else byClass.set(labels[i]!, [i]);
  }
  const out = new Int32Array(labels.length);
  let next = 0;
  for (const [, members] of [...byClass].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(members);
    for (const i of members) {
      out[i] = next;
      next = (next + 1) % folds;
    }
  }
  return out;
}
