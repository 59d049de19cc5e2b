/**
 * `LogisticRegression`: binary and multinomial (softmax) logistic regression with scikit-learn's
 * parameters and objective, so results can be compared one to one: penalties `'none'`, `'l2'`,
 * `'l1'`, `'elasticnet'` with `C` and `l1Ratio`, intercept, class and sample weights, tolerance,
 * iteration limit, warm start. Smooth problems (L2, none) are solved by Newton-CG (scikit-learn's
 * `newton-cg`), L1 and elastic net by OWL-QN (exact zeros), in double precision; for large designs
 * the two heavy products of each evaluation run on the active tfjs backend (`products`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { allFinite, finiteSum, tensorValues } from '../backend/matrix-pass.js';
import {
  ArgumentError,
  BackendError,
  describeValue,
  FormatError,
  ShapeError,
} from '../core/errors.js';
import { isTensor, type MatrixInput, type VectorInput } from '../core/tensors.js';
import { type Resolved, resolveOptions } from '../core/validate.js';
import type { DenseMatrix } from './preprocess.js';
import { backendProducts } from './solvers/backend-products.js';
import {
  blockSize,
  type Design,
  hessianOperator,
  type LogisticProblem,
  l1Strengths,
  log1pExp,
  scores,
  smoothObjective,
} from './solvers/logistic-objective.js';
import { minimizeNewton } from './solvers/newton-cg.js';
import { type MinimizeResult, minimize } from './solvers/owlqn.js';

/** The penalty on the coefficients (intercepts are never penalised). */
export type LogisticPenalty = 'none' | 'l2' | 'l1' | 'elasticnet';

/** Options of {@link LogisticRegression} (scikit-learn's names in camelCase, and its defaults). */
export interface LogisticRegressionOptions {
  /** The penalty. Defaults to `'l2'`. */
  penalty?: LogisticPenalty;
  /** Inverse regularisation strength (> 0): smaller is stronger. Defaults to 1. */
  C?: number;
  /** Elastic net: the L1 share ρ in [0, 1] of the penalty ρ/C·‖w‖₁ + (1 − ρ)/(2C)·‖w‖². Required for `'elasticnet'`. */
  l1Ratio?: number;
  /** Fit an intercept per class. Defaults to `true`. */
  fitIntercept?: boolean;
  /** Weights per class: `'balanced'` (n / (k·n_c)) or a map from class label to weight. Defaults to none. */
  classWeights?: 'balanced' | Readonly<Record<number, number>>;
  /** @deprecated The former spelling of `classWeights` (scikit-learn's `class_weight`); it still works. */
  classWeight?: 'balanced' | Readonly<Record<number, number>>;
  /**
   * Convergence: the largest component of the objective's (pseudo-)gradient is ≤ tol (with the
   * products on the host the solver keeps going to tol/1000 within `maxIter`, which settles the
   * coefficients of ill-conditioned problems). Defaults to 1e-4.
   */
  tol?: number;
  /** The most solver iterations. Defaults to 100. */
  maxIter?: number;
  /** Start the next `fit` from the current coefficients. Defaults to `false`. */
  warmStart?: boolean;
  /** Receives the convergence warning. Defaults to `console.warn`. */
  onWarning?: (message: string) => void;
  /**
   * Where the solver's two heavy products (X·W and Xᵀ·R, one each per evaluation) run:
   * `'host'`: in double precision in JavaScript, the solver aiming at tol/1000; `'backend'`: as
   * tfjs matrix products on the active backend, in single precision (the design is uploaded once;
   * a float32 tensor is used where it lies; on wasm a binary model reads it once per evaluation
   * for both products), the solver aiming at tol itself as scikit-learn's lbfgs does (single
   * precision cannot resolve gradients far below it); `'auto'`: the backend for designs of 2²²
   * (about 4 million) values or more when a backend other than `'cpu'` is active (whose products
   * are no faster than the host's) or `'webgpu'` (whose synchronous read-back, which the solver
   * needs, is unreliable: `'backend'` is refused there), else the host. Defaults to `'auto'`.
   */
  products?: 'auto' | 'host' | 'backend';
}

/**
 * Features: one row per sample, as arrays, a 2-D tensor, or a dense row-major matrix
 * `{ data, rows, cols }` (as `encodeGenotypes` and `GenotypeStandardizer` return).
 */
export type FeatureMatrix = MatrixInput | DenseMatrix;

/**
 * Labels, one per sample.
 *
 * @deprecated The former name of {@link VectorInput}; it still works.
 */
export type LabelVector = VectorInput;

/** The JSON form of a fitted model ({@link LogisticRegression.toJSON}). */
export interface LogisticRegressionJson {
  /** Always `'LogisticRegression'`. */
  type: 'LogisticRegression';
  /** The options, without `onWarning`. */
  options: Omit<LogisticRegressionOptions, 'onWarning'>;
  /** The class labels, ascending. */
  classes: number[];
  /** classes × features (one row for binary). */
  coef: number[][];
  /** One per row of `coef`. */
  intercept: number[];
  /** Solver iterations of the last fit. */
  iterations: number;
  /** Whether the last fit met `tol`. */
  converged: boolean;
}

const SPECS = {
  penalty: {
    constraint: { kind: 'string', oneOf: ['none', 'l2', 'l1', 'elasticnet'] },
    default: 'l2',
  },
  C: { constraint: { kind: 'number', min: 0, minExclusive: true }, default: 1 },
  l1Ratio: { constraint: { kind: 'number', min: 0, max: 1 } },
  fitIntercept: { constraint: { kind: 'boolean' }, default: true },
  classWeights: { constraint: { kind: 'any' } },
  classWeight: { constraint: { kind: 'any' }, aliasOf: 'classWeights' },
  tol: { constraint: { kind: 'number', min: 0, minExclusive: true }, default: 1e-4 },
  maxIter: { constraint: { kind: 'number', integer: true, min: 1 }, default: 100 },
  warmStart: { constraint: { kind: 'boolean' }, default: false },
  onWarning: { constraint: { kind: 'function' } },
  products: { constraint: { kind: 'string', oneOf: ['auto', 'host', 'backend'] }, default: 'auto' },
} as const;

/** A design, and the float32 tensor it came from (whose values `data` holds only once read). */
type DesignInput = Design & { tensor?: tf.Tensor2D };

/**
 * The design of `X`. With `checkFinite` false the caller checks finiteness itself; with
 * `readTensor` false a float32 tensor is left unread (`data` empty, `tensor` set).
 */
async function toDesign(
  X: unknown,
  name: string,
  { checkFinite = true, readTensor = true } = {},
): Promise<DesignInput> {
  let rows: number;
  let cols: number;
  let data: Float64Array;
  let tensor: tf.Tensor2D | undefined; // left unread
  if (isTensor(X)) {
    if (X.isDisposed) throw new ArgumentError(`${name} is a disposed tensor.`);
    if (X.rank !== 2)
      throw new ShapeError(
        `${name} must be 2-D (samples × features). Received: shape [${X.shape.join(', ')}].`,
      );
    [rows, cols] = X.shape as [number, number];
    if (!readTensor && X.dtype === 'float32') tensor = X as tf.Tensor2D;
    data = tensor ? new Float64Array(0) : Float64Array.from(await X.data());
  } else if (Array.isArray(X)) {
    rows = X.length;
    cols = rows > 0 && Array.isArray(X[0]) ? (X[0] as unknown[]).length : 0;
    data = new Float64Array(rows * cols);
    X.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new ShapeError(
          `${name} must be a rectangular array of rows: row 0 has ${cols} values, row ${i} has ${Array.isArray(row) ? row.length : describeValue(row)}.`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== 'number')
          throw new ArgumentError(
            `${name} must hold numbers. Received: ${describeValue(v)} at [${i}, ${j}].`,
          );
        data[i * cols + j] = v;
      }
    });
  } else if (
    X !== null &&
    typeof X === 'object' &&
    ArrayBuffer.isView((X as { data?: unknown }).data) &&
    Number.isInteger((X as { rows?: unknown }).rows) &&
    Number.isInteger((X as { cols?: unknown }).cols)
  ) {
    const dense = X as DenseMatrix;
    ({ rows, cols } = dense);
    if (dense.data.length !== rows * cols) {
      throw new ShapeError(
        `${name} holds ${dense.data.length} values, not rows × cols = ${rows * cols}.`,
      );
    }
    // read only, so a Float64Array is used as it is (no copy of a large genotype matrix)
    data = dense.data instanceof Float64Array ? dense.data : Float64Array.from(dense.data);
  } else {
    throw new ArgumentError(
      `${name} must be an array of rows, a 2-D tensor or { data, rows, cols }. Received: ${describeValue(X)}.`,
    );
  }
  if (rows === 0 || cols === 0)
    throw new ShapeError(`${name} must not be empty. Received: ${rows} × ${cols}.`);
  if (tensor) return { data, rows, cols, tensor };
  const design = { data, rows, cols };
  if (checkFinite) assertFinite(design, name);
  return design;
}

/**
 * Throws for the first NaN or ±∞ in the design; `known` says whether the caller already knows
 * (from its own pass over the values) that every value is finite.
 */
function assertFinite(
  { data, cols }: { data: ArrayLike<number>; cols: number },
  name: string,
  known?: boolean,
): void {
  // x·0 is 0 for every finite x and NaN for NaN and ±∞: one branch-free pass
  if (known === undefined) known = finiteSum(data, 0, data.length) === 0;
  for (let i = 0; !known && i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new ArgumentError(
        `${name} must hold finite numbers. Received: ${describeValue(data[i])} at [${Math.floor(i / cols)}, ${i % cols}]; impute or drop missing values first.`,
      );
    }
  }
}

async function toVector(v: unknown, name: string, n: number): Promise<Float64Array> {
  let out: Float64Array;
  if (isTensor(v)) {
    if (v.isDisposed) throw new ArgumentError(`${name} is a disposed tensor.`);
    out = Float64Array.from(await v.data());
  } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    out = Float64Array.from(v as ArrayLike<number>);
  } else {
    throw new ArgumentError(
      `${name} must be an array or a 1-D tensor. Received: ${describeValue(v)}.`,
    );
  }
  if (out.length !== n)
    throw new ShapeError(`${name} must hold one value per sample (${n}). Received: ${out.length}.`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]!))
      throw new ArgumentError(
        `${name} must hold finite numbers. Received: ${describeValue(out[i])} at index ${i}.`,
      );
  }
  return out;
}

/**
 * Logistic regression, binary or multinomial, with scikit-learn's objective:
 *
 *   min Σ_i s_i·ℓ_i + (1 − ρ)/(2C)·‖W‖² + ρ/C·‖W‖₁
 *
 * ρ = 0 for `'l2'`, 1 for `'l1'`, `l1Ratio` for `'elasticnet'`; no penalty for `'none'`;
 * s_i = sample weight × class weight; ℓ_i the log-loss (sigmoid for two classes, softmax for
 * more). The constructor only stores options; `fit` learns `coef`, `intercept`, `classes`,
 * `iterations`.
 *
 * @example
 * ```ts
 * const model = await new LogisticRegression({ C: 0.5 }).fit(X, y);
 * const proba = await model.predictProba(X); // one column per class
 * model.coef; // classes × features (one row for two classes)
 * ```
 */
export class LogisticRegression {
  private readonly options: Resolved<LogisticRegressionOptions, typeof SPECS>;
  private fitted?: {
    classes: number[];
    coef: number[][];
    intercept: number[];
    iterations: number;
    converged: boolean;
    features: number;
  };

  /**
   * @param options - see {@link LogisticRegressionOptions}.
   * @throws {@link ArgumentError} for an unknown option, C ≤ 0, tol ≤ 0, `l1Ratio` outside
   *   [0, 1] or missing for `'elasticnet'`.
   */
  constructor(options?: LogisticRegressionOptions) {
    const fn = 'LogisticRegression';
    const o = resolveOptions(fn, options, SPECS);
    if (o.penalty === 'elasticnet' && o.l1Ratio === undefined) {
      throw new ArgumentError(`${fn}: penalty 'elasticnet' needs \`l1Ratio\` in [0, 1].`);
    }
    if (
      o.classWeights !== undefined &&
      o.classWeights !== 'balanced' &&
      (typeof o.classWeights !== 'object' || o.classWeights === null)
    ) {
      throw new ArgumentError(
        `${fn}: \`classWeights\` must be 'balanced' or a map from class label to weight. Received: ${describeValue(o.classWeights)}.`,
      );
    }
    this.options = o;
  }

  /** The class labels seen by `fit`, ascending. */
  get classes(): number[] {
    return [...this.require('classes').classes];
  }

  /** Coefficients, classes × features (one row, for the second class, when there are two). */
  get coef(): number[][] {
    return this.require('coef').coef.map((r) => [...r]);
  }

  /** Intercepts, one per row of `coef` (0 without `fitIntercept`). */
  get intercept(): number[] {
    return [...this.require('intercept').intercept];
  }

  /** Solver iterations of the last `fit`. */
  get iterations(): number {
    return this.require('iterations').iterations;
  }

  /** Whether the last `fit` met `tol` within `maxIter`. */
  get converged(): boolean {
    return this.require('converged').converged;
  }

  private require(what: string): NonNullable<LogisticRegression['fitted']> {
    if (!this.fitted)
      throw new ArgumentError(`LogisticRegression: \`${what}\` is not available before \`fit\`.`);
    return this.fitted;
  }

  /**
   * Fits the model.
   *
   * @param X - features, samples × features (arrays or a 2-D tensor; finite numbers).
   * @param y - class labels, one per sample (any numbers; two or more distinct).
   * @param sampleWeights - a non-negative weight per sample. Defaults to 1 each.
   * @returns this model, fitted.
   * @throws {@link ArgumentError} for NaN/infinite features, a single class, negative weights,
   *   a `classWeights` naming a label `y` lacks; {@link ShapeError} for sizes that disagree.
   */
  async fit(X: FeatureMatrix, y: VectorInput, sampleWeights?: VectorInput): Promise<this> {
    const fn = 'LogisticRegression.fit';
    // finiteness is checked below (on the backend path while the design is converted), and a
    // float32 tensor is read to the host only if the products run there
    const design = await toDesign(X, `${fn}: \`X\``, { checkFinite: false, readTensor: false });
    const labels = await toVector(y, `${fn}: \`y\``, design.rows);
    const classes = [...new Set(labels)].sort((a, b) => a - b);
    if (classes.length < 2) {
      throw new ArgumentError(
        `${fn}: \`y\` holds a single class (${classes[0]}); logistic regression needs at least two.`,
      );
    }
    const index = new Map(classes.map((c, i) => [c, i]));
    const yIdx = Int32Array.from(labels, (v) => index.get(v)!);
    const weights =
      sampleWeights === undefined
        ? new Float64Array(design.rows).fill(1)
        : await toVector(sampleWeights, `${fn}: \`sampleWeights\``, design.rows);
    if (weights.some((w) => w < 0))
      throw new ArgumentError(`${fn}: \`sampleWeights\` must be non-negative.`);
    const cw = this.options.classWeights;
    if (cw !== undefined) {
      let perClass: number[];
      if (cw === 'balanced') {
        const counts = classes.map((_, k) => yIdx.reduce((a, v) => a + (v === k ? 1 : 0), 0));
        perClass = counts.map((c) => design.rows / (classes.length * c));
      } else {
        for (const key of Object.keys(cw)) {
          if (!index.has(Number(key))) {
            throw new ArgumentError(
              `${fn}: \`classWeights\` names class ${key}, which \`y\` does not hold (classes: ${classes.join(', ')}).`,
            );
          }
        }
        perClass = classes.map((c) => (cw as Record<number, number>)[c] ?? 1);
      }
      for (let i = 0; i < weights.length; i++) weights[i]! *= perClass[yIdx[i]!]!;
    }
    const binary = classes.length === 2;
    const { penalty, C } = this.options;
    const rho = penalty === 'l1' ? 1 : penalty === 'elasticnet' ? (this.options.l1Ratio ?? 0) : 0;
    const problem: LogisticProblem = {
      X: design,
      y: yIdx,
      weights,
      columns: binary ? 1 : classes.length,
      fitIntercept: this.options.fitIntercept,
      l2: penalty === 'none' ? 0 : (1 - rho) / C,
      l1: penalty === 'none' ? 0 : rho / C,
    };
    const b = blockSize(problem);
    const x0 = new Float64Array(b * problem.columns);
    const prev = this.fitted;
    if (
      this.options.warmStart &&
      prev &&
      prev.features === design.cols &&
      prev.classes.length === classes.length
    ) {
      prev.coef.forEach((row, k) => {
        row.forEach((v, j) => {
          x0[k * b + j] = v;
        });
        if (problem.fitIntercept) x0[k * b + design.cols] = prev.intercept[k]!;
      });
    }
    // smooth problems: Newton-CG (few iterations, exact); L1 and elastic net: OWL-QN
    const l1 = l1Strengths(problem);
    const budget = { tol: this.options.tol, maxIter: this.options.maxIter };
    // Newton-CG where a Hessian-vector product is cheap relative to the gain (more samples than
    // features); L-BFGS for wide data (genotypes: many variants, fewer people), where each CG step
    // costs as much as a gradient
    const wide = design.cols > design.rows;
    const where = this.options.products;
    const active = tf.engine().backendName;
    // the solver reads each product back synchronously; tfjs's webgpu backend reads a result
    // still on the GPU through a canvas, which gives zeros on some devices (SwiftShader among
    // them), so its products would be silently wrong
    if (where === 'backend' && active === 'webgpu') {
      throw new BackendError(
        `${fn}: \`products: 'backend'\` needs synchronous read-back, which the webgpu backend does not give reliably; use \`products: 'host'\` (or 'auto', which does there).`,
      );
    }
    const onBackend =
      where === 'backend' ||
      (where === 'auto' &&
        design.rows * design.cols * problem.columns >= 1 << 22 &&
        active !== null &&
        active !== 'cpu' &&
        active !== 'webgpu');
    // features given as a float32 tensor are on the backend already
    const source = design.tensor;
    if (source && !onBackend) design.data = Float64Array.from(await source.data());
    // (one SIMD pass on wasm; the exact position looked up only where a value is not finite)
    if (source && onBackend && !allFinite(source))
      assertFinite({ data: tensorValues(source), cols: design.cols }, `${fn}: \`X\``, false);
    else if (!onBackend) assertFinite(design, `${fn}: \`X\``);
    const products = onBackend ? backendProducts(problem, source) : undefined;
    if (products?.finite === false) {
      products.dispose();
      assertFinite(design, `${fn}: \`X\``, false);
      throw new ArgumentError(
        `${fn}: \`X\` holds values beyond single precision's range (|x| > 3.4e38), which the backend's products cannot hold; fit with \`products: 'host'\` or rescale the features.`,
      );
    }
    let result: MinimizeResult;
    try {
      const aim = onBackend ? { aim: 1 } : {};
      result =
        l1 || wide
          ? minimize(smoothObjective(problem, products?.objective), x0, {
              ...(l1 ? { l1 } : {}),
              ...budget,
              ...aim,
            })
          : minimizeNewton(
              smoothObjective(problem, products?.objective),
              (x) => hessianOperator(problem, x, products?.plain),
              x0,
              { ...budget, ...aim },
            );
    } finally {
      products?.dispose();
    }
    const coef: number[][] = [];
    const intercept: number[] = [];
    for (let k = 0; k < problem.columns; k++) {
      coef.push(Array.from(result.x.subarray(k * b, k * b + design.cols)));
      intercept.push(problem.fitIntercept ? result.x[k * b + design.cols]! : 0);
    }
    this.fitted = {
      classes,
      coef,
      intercept,
      iterations: result.iterations,
      converged: result.converged,
      features: design.cols,
    };
    if (!result.converged) {
      (this.options.onWarning ?? console.warn)(
        `LogisticRegression: the solver stopped after ${result.iterations} iterations with a gradient of ${result.gradientNorm.toExponential(2)} > tol ${this.options.tol}; raise \`maxIter\`, scale the features, or strengthen the penalty (smaller C).`,
      );
    }
    return this;
  }

  private async design(X: FeatureMatrix, fn: string): Promise<Design> {
    const fitted = this.require('coef');
    const design = await toDesign(X, `${fn}: \`X\``);
    if (design.cols !== fitted.features) {
      throw new ShapeError(
        `${fn}: \`X\` has ${design.cols} features, but the model was fitted on ${fitted.features}.`,
      );
    }
    return design;
  }

  /** Raw scores z for a design (rows × columns of coef). */
  private rawScores(design: Design): Float64Array {
    const f = this.require('coef');
    const cols = design.cols;
    const x = new Float64Array((cols + 1) * f.coef.length);
    f.coef.forEach((row, k) => {
      x.set(row, k * (cols + 1));
      x[k * (cols + 1) + cols] = f.intercept[k]!;
    });
    return scores({ X: design, columns: f.coef.length, fitIntercept: true }, x);
  }

  /**
   * Decision scores: for two classes the log-odds of the second class (one number per sample);
   * for more, one score per class.
   *
   * @throws {@link ShapeError} when `X` has another number of features than at fit.
   */
  async decisionFunction(X: FeatureMatrix): Promise<number[] | number[][]> {
    const design = await this.design(X, 'LogisticRegression.decisionFunction');
    const z = this.rawScores(design);
    const K = this.fitted!.coef.length;
    if (K === 1) return Array.from(z);
    return Array.from({ length: design.rows }, (_, i) =>
      Array.from(z.subarray(i * K, (i + 1) * K)),
    );
  }

  /**
   * Log-probabilities, one column per class (computed without cancellation).
   *
   * @throws {@link ShapeError} when `X` has another number of features than at fit.
   */
  async predictLogProba(X: FeatureMatrix): Promise<number[][]> {
    const design = await this.design(X, 'LogisticRegression.predictLogProba');
    const z = this.rawScores(design);
    const K = this.fitted!.coef.length;
    if (K === 1) return Array.from(z, (zi) => [-log1pExp(zi), -log1pExp(-zi)]);
    return Array.from({ length: design.rows }, (_, i) => {
      const row = z.subarray(i * K, (i + 1) * K);
      let max = row[0]!;
      for (const v of row) if (v > max) max = v;
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      return Array.from(row, (v) => v - lse);
    });
  }

  /**
   * Probabilities, one column per class (two for binary), rows summing to 1.
   *
   * @throws {@link ShapeError} when `X` has another number of features than at fit.
   */
  async predictProba(X: FeatureMatrix): Promise<number[][]> {
    return (await this.predictLogProba(X)).map((row) => row.map(Math.exp));
  }

  /**
   * The most probable class label per sample.
   *
   * @throws {@link ShapeError} when `X` has another number of features than at fit.
   */
  async predict(X: FeatureMatrix): Promise<number[]> {
    const classes = this.require('classes').classes;
    return (await this.predictLogProba(X)).map((row) => {
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
      return classes[best]!;
    });
  }

  /**
   * Takes another fitted model's coefficients as this one's starting point (with `warmStart`):
   * how the regularisation path moves from one C to the next.
   *
   * @internal
   */
  startFrom(other: LogisticRegression): this {
    if (other.fitted) this.fitted = { ...other.fitted };
    return this;
  }

  /** The fitted model as JSON (options, classes, coefficients, intercepts). */
  toJSON(): LogisticRegressionJson {
    const f = this.require('coef');
    const { onWarning: _ignored, ...options } = this.options;
    return {
      type: 'LogisticRegression',
      options,
      classes: [...f.classes],
      coef: f.coef.map((r) => [...r]),
      intercept: [...f.intercept],
      iterations: f.iterations,
      converged: f.converged,
    };
  }

  /**
   * Rebuilds a fitted model from {@link LogisticRegression.toJSON}'s output.
   *
   * @throws {@link FormatError} when the JSON is not a fitted LogisticRegression.
   */
  static fromJSON(json: LogisticRegressionJson): LogisticRegression {
    const ok =
      json &&
      json.type === 'LogisticRegression' &&
      Array.isArray(json.classes) &&
      Array.isArray(json.coef) &&
      Array.isArray(json.intercept) &&
      json.coef.length === json.intercept.length &&
      json.coef.length === (json.classes.length === 2 ? 1 : json.classes.length) &&
      json.coef.every(
        (r) => Array.isArray(r) && r.length === json.coef[0]!.length && r.every(Number.isFinite),
      );
    if (!ok)
      throw new FormatError(
        'LogisticRegression.fromJSON: the JSON is not a fitted LogisticRegression.',
      );
    const model = new LogisticRegression(json.options);
    model.fitted = {
      classes: [...json.classes],
      coef: json.coef.map((r) => [...r]),
      intercept: [...json.intercept],
      iterations: json.iterations,
      converged: json.converged,
      features: json.coef[0]!.length,
    };
    return model;
  }
}
