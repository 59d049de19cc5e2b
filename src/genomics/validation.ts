/**
 * Choosing the regularisation strength: the regularisation path (the fitted coefficients over a
 * grid of C, each fit warm-started from the previous, from strongest to weakest penalty) and
 * stratified k-fold cross-validation of C by log-loss or ROC AUC (scikit-learn's
 * `LogisticRegressionCV`, with the grid `Cs` as there).
 *
 * @module
 */
import { ArgumentError, describeValue } from '../core/errors.js';
import type { Seed } from '../core/random.js';
import { stratifiedFolds } from '../core/split.js';
import { resolveOptions } from '../core/validate.js';
import { rocAuc } from '../metrics/roc.js';
import { LogisticRegression, type LogisticRegressionOptions } from './classifier.js';
import type { DenseMatrix } from './preprocess.js';

/** A grid of C: an array, or a count n for n values log-spaced over [1e-4, 1e4] (scikit-learn's `Cs`). */
export type CGrid = number | readonly number[];

function grid(Cs: CGrid, fn: string): number[] {
  if (typeof Cs === 'number') {
    if (!Number.isInteger(Cs) || Cs < 1)
      throw new ArgumentError(
        `${fn}: \`Cs\` as a count must be an integer ≥ 1. Received: ${describeValue(Cs)}.`,
      );
    if (Cs === 1) return [1];
    return Array.from({ length: Cs }, (_, i) => 10 ** (-4 + (8 * i) / (Cs - 1)));
  }
  if (!Array.isArray(Cs) || Cs.length === 0 || !Cs.every((c) => Number.isFinite(c) && c > 0)) {
    throw new ArgumentError(
      `${fn}: \`Cs\` must be positive numbers. Received: ${describeValue(Cs)}.`,
    );
  }
  return [...Cs].sort((a, b) => a - b);
}

function rowsOf(X: DenseMatrix, idx: readonly number[]): DenseMatrix {
  const data = new Float64Array(idx.length * X.cols);
  for (const [r, i] of idx.entries())
    data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols);
  return { data, rows: idx.length, cols: X.cols };
}

/** One point of the regularisation path. */
export interface PathPoint {
  /** The inverse regularisation strength. */
  C: number;
  /** The coefficients (classes × features; one row for binary). */
  coef: number[][];
  /** The intercepts. */
  intercept: number[];
  /** Solver iterations of this fit (warm-started from the previous C). */
  iterations: number;
}

/**
 * Fits the model along a grid of C, from the strongest penalty (smallest C) to the weakest,
 * each fit starting from the previous solution.
 *
 * @param X - features (a dense matrix `{ data, rows, cols }`).
 * @param y - class labels.
 * @param Cs - the grid (see {@link CGrid}).
 * @param options - LogisticRegression options other than `C` and `warmStart`.
 * @returns one point per C, ascending.
 * @throws as {@link LogisticRegression.fit}.
 *
 * @example
 * ```ts
 * const path = await regularizationPath(x, y, 20, { penalty: 'l1' });
 * path.map((p) => p.coef[0].filter((v) => v !== 0).length); // variants kept, growing with C
 * ```
 */
export async function regularizationPath(
  X: DenseMatrix,
  y: readonly number[],
  Cs: CGrid,
  options: Omit<LogisticRegressionOptions, 'C' | 'warmStart'> = {},
): Promise<PathPoint[]> {
  const values = grid(Cs, 'regularizationPath');
  const out: PathPoint[] = [];
  let model: LogisticRegression | undefined;
  for (const C of values) {
    const next = new LogisticRegression({ ...options, C, warmStart: true });
    if (model) next.startFrom(model);
    await next.fit(X, y);
    out.push({ C, coef: next.coef, intercept: next.intercept, iterations: next.iterations });
    model = next;
  }
  return out;
}

/** Options of {@link crossValidateC}. */
export interface CrossValidateOptions {
  /** The grid of C. Defaults to 10 (log-spaced over [1e-4, 1e4]). */
  Cs?: CGrid;
  /** Stratified folds. Defaults to 5. */
  folds?: number;
  /** `'logLoss'` (lower is better) or `'auc'` (binary only; higher is better). Defaults to `'logLoss'`. */
  scoring?: 'logLoss' | 'auc';
  /** The folds' shuffle seed. Defaults to 0. */
  seed?: Seed;
  /** LogisticRegression options other than `C` and `warmStart`. */
  model?: Omit<LogisticRegressionOptions, 'C' | 'warmStart'>;
}

/** What {@link crossValidateC} resolves to. */
export interface CrossValidation {
  /** The grid, ascending. */
  Cs: number[];
  /** The mean held-out score per C. */
  meanScores: number[];
  /** The held-out score per fold (folds × Cs). */
  foldScores: number[][];
  /** The C with the best mean score. */
  bestC: number;
  /** A model refitted on all the data at `bestC`. */
  model: LogisticRegression;
}

/**
 * Chooses C by stratified k-fold cross-validation: for each fold, the regularisation path on
 * the other folds (warm starts along the grid), scored on the held-out fold; then a refit on
 * all the data at the C with the best mean score.
 *
 * @param X - features (a dense matrix).
 * @param y - class labels.
 * @param options - see {@link CrossValidateOptions}.
 * @returns the scores, the best C and the refitted model.
 * @throws {@link ArgumentError} for AUC with more than two classes, a bad grid, or folds.
 *
 * @example
 * ```ts
 * const cv = await crossValidateC(x, y, { Cs: 12, scoring: 'auc', model: { penalty: 'l1' } });
 * cv.bestC; await cv.model.predictProba(xNew);
 * ```
 */
export async function crossValidateC(
  X: DenseMatrix,
  y: readonly number[],
  options?: CrossValidateOptions,
): Promise<CrossValidation> {
  const fn = 'crossValidateC';
  const o = resolveOptions(fn, options, {
    Cs: { constraint: { kind: 'any' }, default: 10 },
    folds: { constraint: { kind: 'number', integer: true, min: 2 }, default: 5 },
    scoring: { constraint: { kind: 'string', oneOf: ['logLoss', 'auc'] }, default: 'logLoss' },
    seed: { constraint: { kind: 'seed' }, default: 0 },
    model: { constraint: { kind: 'object' }, default: {} },
  });
  const Cs = grid(o.Cs, fn);
  const classes = [...new Set(y)].sort((a, b) => a - b);
  if (o.scoring === 'auc' && classes.length !== 2) {
    throw new ArgumentError(`${fn}: scoring 'auc' needs two classes. Received: ${classes.length}.`);
  }
  const fold = stratifiedFolds(y, o.folds, o.seed);
  const foldScores: number[][] = [];
  for (let f = 0; f < o.folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (const [i, k] of fold.entries()) (k === f ? test : train).push(i);
    const path = await regularizationPath(
      rowsOf(X, train),
      train.map((i) => y[i]!),
      Cs,
      {
        ...o.model,
        onWarning: () => {},
      },
    );
    const xTest = rowsOf(X, test);
    const yTest = test.map((i) => y[i]!);
    const scores: number[] = [];
    for (const point of path) {
      const m = LogisticRegression.fromJSON({
        type: 'LogisticRegression',
        options: { ...o.model, C: point.C },
        classes,
        coef: point.coef,
        intercept: point.intercept,
        iterations: point.iterations,
        converged: true,
      });
      const proba = await m.predictProba(xTest);
      if (o.scoring === 'auc')
        scores.push(
          rocAuc(
            yTest,
            proba.map((p) => p[1]!),
          ),
        );
      else {
        let loss = 0;
        proba.forEach((p, r) => {
          loss -= Math.log(Math.max(p[classes.indexOf(yTest[r]!)]!, 1e-300));
        });
        scores.push(loss / test.length);
      }
    }
    foldScores.push(scores);
  }
  const meanScores = Cs.map(
    (_, j) => foldScores.reduce((a, s) => a + s[j]!, 0) / foldScores.length,
  );
  const better = (a: number, b: number) => (o.scoring === 'auc' ? a > b : a < b);
  let best = 0;
  for (let j = 1; j < Cs.length; j++) if (better(meanScores[j]!, meanScores[best]!)) best = j;
  const model = await new LogisticRegression({ ...o.model, C: Cs[best]! }).fit(X, y);
  return { Cs, meanScores, foldScores, bestC: Cs[best]!, model };
}
