/**
 * The penalised logistic objective scikit-learn minimises, with its gradient, for binary (one
 * column of weights) and multinomial (one per class) models:
 *
 *   F(W, b) = Σ_i s_i·ℓ_i + (1 − ρ)/(2C)·‖W‖² + ρ/C·‖W‖₁
 *
 * with ℓ_i = log(1 + e^{z_i}) − y_i·z_i (binary, z_i = x_i·w + b) or
 * ℓ_i = log Σ_k e^{z_ik} − z_{i,y_i} (multinomial), s_i the sample × class weights, and the
 * intercepts unpenalised. The L1 part is handed to the solver as per-coordinate strengths.
 * Parameters are laid out class by class: [w_k (p values), b_k].
 *
 * @module
 */
import type { SmoothObjective } from './owlqn.js';

/** A dense row-major design matrix in double precision. @internal */
export interface Design {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** What defines the problem. @internal */
export interface LogisticProblem {
  X: Design;
  /** Class index per sample (binary: 0/1). */
  y: Int32Array;
  /** s_i per sample. */
  weights: Float64Array;
  /** Columns of weights: 1 for binary, K for multinomial. */
  columns: number;
  fitIntercept: boolean;
  /** (1 − ρ)/C. */
  l2: number;
  /** ρ/C. */
  l1: number;
}

/** log(1 + e^z) without overflow or cancellation. */
export function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Parameters per class block. @internal */
export function blockSize(p: LogisticProblem): number {
  return p.X.cols + (p.fitIntercept ? 1 : 0);
}

/** Linear scores z (rows × columns) for parameters `x`. @internal */
export function scores(
  p: LogisticProblem | { X: Design; columns: number; fitIntercept: boolean },
  x: Float64Array,
  out?: Float64Array,
): Float64Array {
  const { rows, cols, data } = p.X;
  const K = p.columns;
  const b = cols + (p.fitIntercept ? 1 : 0);
  const z = out ?? new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let k = 0; k < K; k++) {
      const w = k * b;
      // four independent sums: the dependent-add chain of one sum limits the loop otherwise
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j + 3 < cols; j += 4) {
        s0 += data[row + j]! * x[w + j]!;
        s1 += data[row + j + 1]! * x[w + j + 1]!;
        s2 += data[row + j + 2]! * x[w + j + 2]!;
        s3 += data[row + j + 3]! * x[w + j + 3]!;
      }
      for (; j < cols; j++) s0 += data[row + j]! * x[w + j]!;
      z[i * K + k] = (p.fitIntercept ? x[w + cols]! : 0) + (s0 + s1 + (s2 + s3));
    }
  }
  return z;
}

/**
 * out += Xᵀ·r per class block (r: rows × columns), intercepts included: the gradient's and the
 * Hessian-vector product's heavy half. Four rows a pass, so each out[j] is loaded and stored a
 * quarter as often. @internal
 */
export function addTransposedProduct(p: LogisticProblem, r: Float64Array, out: Float64Array): void {
  const { rows, cols, data } = p.X;
  const K = p.columns;
  const b = blockSize(p);
  for (let k = 0; k < K; k++) {
    const w = k * b;
    let i = 0;
    for (; i + 3 < rows; i += 4) {
      const r0 = r[i * K + k]!;
      const r1 = r[(i + 1) * K + k]!;
      const r2 = r[(i + 2) * K + k]!;
      const r3 = r[(i + 3) * K + k]!;
      if (r0 === 0 && r1 === 0 && r2 === 0 && r3 === 0) continue;
      const a = i * cols;
      const c = a + cols;
      const d = c + cols;
      const e = d + cols;
      for (let j = 0; j < cols; j++)
        out[w + j]! +=
          r0 * data[a + j]! + r1 * data[c + j]! + r2 * data[d + j]! + r3 * data[e + j]!;
      if (p.fitIntercept) out[w + cols]! += r0 + r1 + r2 + r3;
    }
    for (; i < rows; i++) {
      const ri = r[i * K + k]!;
      if (ri === 0) continue;
      const row = i * cols;
      for (let j = 0; j < cols; j++) out[w + j]! += ri * data[row + j]!;
      if (p.fitIntercept) out[w + cols]! += ri;
    }
  }
}

/**
 * The objective's two heavy products: scores z = X·W + b (rows × columns, into `out`) and
 * `out` += Xᵀ·R per class block, intercepts included. @internal
 */
export interface Products {
  scores(x: Float64Array, out: Float64Array): void;
  addTransposed(r: Float64Array, out: Float64Array): void;
  /**
   * Where available: the scores at `x` into `z`, then `out` += Xᵀ·r (intercepts included) in one
   * pass over the design, `residuals(i0, i1)` filling r for rows i0 … i1 − 1 from z as the pass
   * reaches them (the objective's residuals, or a Hessian product's weights).
   */
  scoresAndGradient?(
    x: Float64Array,
    z: Float64Array,
    residuals: (i0: number, i1: number) => void,
    r: Float64Array,
    out: Float64Array,
  ): void;
}

/** The products in double precision on the host. @internal */
export function hostProducts(p: LogisticProblem): Products {
  return {
    scores: (x, out) => {
      scores(p, x, out);
    },
    addTransposed: (r, out) => addTransposedProduct(p, r, out),
  };
}

/** The smooth part (loss + L2) with its gradient. @internal */
export function smoothObjective(
  p: LogisticProblem,
  products: Products = hostProducts(p),
): SmoothObjective {
  const { rows, cols } = p.X;
  const K = p.columns;
  const b = blockSize(p);
  const z = new Float64Array(rows * K);
  const r = new Float64Array(rows * K); // residuals s_i·(p_ik − y_ik)
  let loss = 0;
  /** Binary rows i0 … i1 − 1: their loss into `loss`, their residuals into r. */
  const binaryRows = (i0: number, i1: number) => {
    for (let i = i0; i < i1; i++) {
      const zi = z[i]!;
      const yi = p.y[i]!;
      const s = p.weights[i]!;
      loss += s * (log1pExp(zi) - yi * zi);
      const prob = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
      r[i] = s * (prob - yi);
    }
  };
  /** Multinomial rows i0 … i1 − 1: their loss into `loss`, their residuals into r. */
  const multinomialRows = (i0: number, i1: number) => {
    for (let i = i0; i < i1; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, z[i * K + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - max);
      const lse = max + Math.log(sum);
      const s = p.weights[i]!;
      const yi = p.y[i]!;
      loss += s * (lse - z[i * K + yi]!);
      for (let k = 0; k < K; k++)
        r[i * K + k] = s * (Math.exp(z[i * K + k]! - lse) - (k === yi ? 1 : 0));
    }
  };
  return (x, grad) => {
    loss = 0;
    const rowsOf = K === 1 ? binaryRows : multinomialRows;
    grad.fill(0);
    if (products.scoresAndGradient) products.scoresAndGradient(x, z, rowsOf, r, grad);
    else {
      products.scores(x, z);
      rowsOf(0, rows);
      products.addTransposed(r, grad);
    }
    let penalty = 0;
    if (p.l2 > 0) for (let k = 0; k < K; k++) penalty = addL2(x, grad, k * b, cols, p.l2, penalty);
    return loss + 0.5 * p.l2 * penalty;
  };
}

/**
 * grad[at + j] += l2·x[at + j] for j < n; returns `sum` (the running Σ x² of earlier blocks) plus
 * their x² in order. A small function of its own: V8 optimises it once, where the objective's
 * long loop would have the whole closure recompiled on the stack (on a background thread that
 * takes a core from the products).
 */
function addL2(
  x: Float64Array,
  grad: Float64Array,
  at: number,
  n: number,
  l2: number,
  sum: number,
): number {
  let penalty = sum;
  for (let j = 0; j < n; j++) {
    const v = x[at + j]!;
    penalty += v * v;
    grad[at + j]! += l2 * v;
  }
  return penalty;
}

/** The per-coordinate L1 strengths (0 on intercepts), or undefined without L1. @internal */
export function l1Strengths(p: LogisticProblem): Float64Array | undefined {
  if (p.l1 <= 0) return undefined;
  const b = blockSize(p);
  const out = new Float64Array(b * p.columns);
  for (let k = 0; k < p.columns; k++) for (let j = 0; j < p.X.cols; j++) out[k * b + j] = p.l1;
  return out;
}

/**
 * The Hessian of the smooth part at `x`, as a product operator v ↦ H·v (for Newton-CG): binary
 * H = Xᵀ·diag(s·σ(1−σ))·X + L2; multinomial, per sample, the softmax Jacobian
 * diag(p) − p·pᵀ between the class blocks.
 *
 * @internal
 */
export function hessianOperator(
  p: LogisticProblem,
  x: Float64Array,
  products: Products = hostProducts(p),
): (v: Float64Array, out: Float64Array) => void {
  const { rows, cols } = p.X;
  const K = p.columns;
  const b = blockSize(p);
  const z = new Float64Array(rows * K);
  products.scores(x, z);
  const prob = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    if (K === 1) {
      const zi = z[i]!;
      prob[i] = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
    } else {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) max = Math.max(max, z[i * K + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - max);
      for (let k = 0; k < K; k++) prob[i * K + k] = Math.exp(z[i * K + k]! - max) / sum;
    }
  }
  const u = new Float64Array(rows * K);
  const t = new Float64Array(rows * K);
  /** t = the Hessian's per-sample weights times u, rows i0 … i1 − 1. */
  const weigh = (i0: number, i1: number) => {
    for (let i = i0; i < i1; i++) {
      const s = p.weights[i]!;
      if (K === 1) {
        const q = prob[i]!;
        t[i] = s * q * (1 - q) * u[i]!;
      } else {
        let a = 0;
        for (let k = 0; k < K; k++) a += prob[i * K + k]! * u[i * K + k]!;
        for (let k = 0; k < K; k++) t[i * K + k] = s * prob[i * K + k]! * (u[i * K + k]! - a);
      }
    }
  };
  return (v, out) => {
    out.fill(0);
    if (products.scoresAndGradient) products.scoresAndGradient(v, u, weigh, t, out);
    else {
      products.scores(v, u);
      weigh(0, rows);
      products.addTransposed(t, out);
    }
    if (p.l2 > 0)
      for (let k = 0; k < K; k++)
        for (let j = 0; j < cols; j++) out[k * b + j]! += p.l2 * v[k * b + j]!;
  };
}
