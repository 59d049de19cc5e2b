/**
 * Shared checks that turn labels and scores into a binary or one-vs-rest problem: which label
 * is positive, which classes the score columns stand for, and the clear errors for a single
 * class, a label outside the classes, or scores of the wrong width.
 *
 * @module
 */
import { ArgumentError, ShapeError } from '../core/errors.js';
import { formatShape } from '../core/tensors.js';
import { finite, positiveLabelOf, uniqueSorted, type Values, vector } from './inputs.js';

/** A binary problem: which samples are positive, their scores and weights. @internal */
export interface BinaryProblem {
  isPositive: Uint8Array;
  score: Float64Array;
  weight: Float64Array | undefined;
}

/** One-vs-rest problems, one per class column. @internal */
export interface MulticlassProblem {
  classes: number[];
  /** Row-major scores, `n × classes.length`. */
  scores: Float64Array;
  labels: Float64Array;
  weight: Float64Array | undefined;
}

/**
 * Builds a binary problem from labels and 1-D scores (or `[n, 2]` scores, whose second column is
 * the positive class), requiring both classes to be present when `needBoth`.
 *
 * @internal
 */
export function binaryProblem(
  fn: string,
  yTrue: Values,
  yScore: Values,
  weight: Float64Array | undefined,
  positiveLabel: number | undefined,
  needBoth: boolean,
): BinaryProblem {
  const labels = vector(yTrue, `${fn}: \`yTrue\``);
  const n = labels.length;
  let score: Float64Array;
  if (yScore.shape.length === 2 && yScore.shape[1] === 2) {
    score = new Float64Array(n);
    for (let i = 0; i < n; i++) score[i] = yScore.data[2 * i + 1]!;
    if (yScore.shape[0] !== n) {
      throw new ShapeError(
        `${fn}: \`yScore\` must have one row per sample (${n}). Received: shape ${formatShape(yScore.shape)}.`,
      );
    }
    finite(score, `${fn}: \`yScore\``);
  } else {
    score = vector(yScore, `${fn}: \`yScore\``, n);
  }
  const classes = uniqueSorted(labels);
  if (classes.length > 2) {
    throw new ArgumentError(
      `${fn}: \`yTrue\` must hold two classes for a binary metric. Received: ${classes.length} classes (${classes.slice(0, 8).join(', ')}${classes.length > 8 ? ', …' : ''}); pass \`yScore\` with one column per class for a multiclass score.`,
    );
  }
  const pos = positiveLabelOf(labels, positiveLabel, fn);
  const isPositive = new Uint8Array(n);
  for (let i = 0; i < n; i++) isPositive[i] = labels[i] === pos ? 1 : 0;
  if (needBoth && classes.length < 2) {
    throw new ArgumentError(
      `${fn}: \`yTrue\` holds a single class (${classes[0]}); the metric needs positive and negative samples.`,
    );
  }
  return { isPositive, score, weight };
}

/**
 * Builds one-vs-rest problems from labels and `[n, k]` scores. The columns stand for `labels`
 * when given, else for the distinct values of `yTrue` ascending (which must then number `k`).
 *
 * @internal
 */
export function multiclassProblem(
  fn: string,
  yTrue: Values,
  yScore: Values,
  weight: Float64Array | undefined,
  labelsOption: readonly number[] | undefined,
): MulticlassProblem {
  const labels = vector(yTrue, `${fn}: \`yTrue\``);
  const n = labels.length;
  const [rows, k] = yScore.shape as [number, number];
  if (rows !== n) {
    throw new ShapeError(
      `${fn}: \`yScore\` must have one row per sample (${n}). Received: shape ${formatShape(yScore.shape)}.`,
    );
  }
  finite(yScore.data, `${fn}: \`yScore\``);
  const present = uniqueSorted(labels);
  const classes = labelsOption ? [...labelsOption] : present;
  if (classes.length !== k) {
    throw new ShapeError(
      `${fn}: \`yScore\` has ${k} columns but there are ${classes.length} classes (${classes.join(', ')}); pass \`labels\` to say which class each column scores.`,
    );
  }
  for (const c of present) {
    if (!classes.includes(c)) {
      throw new ArgumentError(
        `${fn}: \`yTrue\` holds the label ${c}, which is not among \`labels\` (${classes.join(', ')}).`,
      );
    }
  }
  return { classes, scores: yScore.data, labels, weight };
}

/** The binary problem "class `c` against the rest" from a multiclass problem. @internal */
export function oneVsRest(p: MulticlassProblem, column: number): BinaryProblem {
  const n = p.labels.length;
  const k = p.classes.length;
  const c = p.classes[column]!;
  const isPositive = new Uint8Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    isPositive[i] = p.labels[i] === c ? 1 : 0;
    score[i] = p.scores[i * k + column]!;
  }
  return { isPositive, score, weight: p.weight };
}

/** The (weighted) number of positives of a binary problem. @internal */
export function positiveMass(p: BinaryProblem): number {
  let s = 0;
  for (let i = 0; i < p.isPositive.length; i++)
    if (p.isPositive[i]) s += p.weight ? p.weight[i]! : 1;
  return s;
}

/**
 * Averages per-class values: `'macro'` (plain mean) or `'weighted'` (by each class's weighted
 * number of positives), skipping nothing.
 *
 * @internal
 */
export function averageOver(
  values: number[],
  support: number[],
  average: 'macro' | 'weighted',
): number {
  if (average === 'macro') return values.reduce((a, b) => a + b, 0) / values.length;
  const total = support.reduce((a, b) => a + b, 0);
  return values.reduce((a, v, i) => a + (v * support[i]!) / total, 0);
}
