/**
 * The logistic objective's two heavy products as tfjs matrix products on the active backend
 * (float32): scores Z = X·W + b, and the gradient's Xᵀ·R as Rᵀ·X (a few rows times the design:
 * on the wasm backend with the library's kernels, one SIMD pass over it). The design is uploaded
 * once per fit.
 *
 * Single precision puts an error of ~1e-6 on each score, which is more than the change of the
 * objective between a solver's late iterates: its line search would see noise. So the
 * objective's scores are incremental: each evaluation multiplies the design by the difference
 * from the previous point only (float32 error relative to that difference) and adds it to the
 * previous scores, kept in double precision.
 *
 * On the wasm backend the models (binary and multinomial) compute the scores and the gradient in one read of the
 * design ({@link matrixPass}): the design is far larger than the cache, so that read is most of
 * an evaluation's time.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { float32Tensor2d, matrixPass } from '../../backend/matrix-pass.js';
import type { LogisticProblem, Products } from './logistic-objective.js';

/** The products on the backend: `objective`'s scores incremental, `plain`'s not. @internal */
export interface BackendProducts {
  /** For the objective: scores from the previous evaluation's plus the design times the change. */
  objective: Products;
  /** For products of arbitrary vectors (Hessian-vector products). */
  plain: Products;
  /** Releases the design's uploads. */
  dispose(): void;
  /** Whether every value of the design was finite, when the upload saw them (not for `source`). */
  finite?: boolean;
}

/**
 * Uploads the design of `p` (float32), or uses `source` when the caller's features already are a
 * float32 tensor of the same values (not disposed here). @internal
 */
export function backendProducts(p: LogisticProblem, source?: tf.Tensor2D): BackendProducts {
  const { rows, cols, data } = p.X;
  const K = p.columns;
  const b = cols + (p.fitIntercept ? 1 : 0);
  const upload = source ? undefined : float32Tensor2d(data, rows, cols);
  const X = source ?? upload!.tensor;
  // the coefficients as columns: one (a matrix-vector product), or padded with zero columns to
  // a multiple of eight (a whole number of the wasm gemm's column blocks)
  const K8 = K === 1 ? 1 : Math.ceil(K / 8) * 8;
  const columns = new Float32Array(cols * K8);
  const rowsLeft = new Float32Array(K * rows);
  /** A product read back and released (outside tidy, which would walk the returned array). */
  const read = (f: () => tf.Tensor) => {
    const out = tf.tidy(f);
    const values = out.dataSync();
    out.dispose();
    return values;
  };
  const scores = (x: Float64Array, out: Float64Array, add: boolean) => {
    for (let j = 0; j < cols; j++) for (let k = 0; k < K; k++) columns[j * K8 + k] = x[k * b + j]!;
    const z = read(() => tf.matMul(X, tf.tensor2d(columns, [cols, K8])));
    for (let k = 0; k < K; k++) {
      const bias = p.fitIntercept ? x[k * b + cols]! : 0;
      for (let i = 0; i < rows; i++)
        out[i * K + k] = (add ? out[i * K + k]! : 0) + z[i * K8 + k]! + bias;
    }
  };
  const addTransposed = (r: Float64Array, out: Float64Array) => {
    for (let k = 0; k < K; k++)
      for (let i = 0; i < rows; i++) rowsLeft[k * rows + i] = r[i * K + k]!;
    const g = read(() => tf.matMul(tf.tensor2d(rowsLeft, [K, rows]), X));
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < cols; j++) out[k * b + j]! += g[k * cols + j]!;
      if (p.fitIntercept) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += r[i * K + k]!;
        out[k * b + cols]! += s;
      }
    }
  };
  let last: { x: Float64Array; z: Float64Array } | undefined;
  const delta = new Float64Array(b * K);
  // on the wasm backend: scores and gradient in one read of the design
  const pass = matrixPass(X, K);
  /** One pass: u = X·v (+ v's intercepts), the caller's weights t from u, out += Xᵀ·t (+ Σt). */
  const onePass = (
    v: Float64Array,
    base: Float64Array | undefined,
    u: Float64Array,
    weigh: (i0: number, i1: number) => void,
    t: Float64Array,
    out: Float64Array,
  ) => {
    const shift = Array.from({ length: K }, (_, k) => (p.fitIntercept ? v[k * b + cols]! : 0));
    pass!.run(
      v,
      (i0, i1, dots) => {
        for (let i = i0; i < i1; i++)
          for (let k = 0; k < K; k++) {
            const at = i * K + k;
            u[at] = (base ? base[at]! : 0) + dots[(i - i0) * K + k]! + shift[k]!;
          }
        weigh(i0, i1);
        return t.subarray(i0 * K, i1 * K);
      },
      out,
      { columns: K, stride: b },
    );
    if (p.fitIntercept)
      for (let k = 0; k < K; k++) {
        let sum = 0;
        for (let i = 0; i < rows; i++) sum += t[i * K + k]!;
        out[k * b + cols]! += sum;
      }
  };
  /** The change of the weights since the last evaluation (all of x at the first), into delta. */
  const change = (x: Float64Array) => {
    for (let j = 0; j < delta.length; j++) delta[j] = x[j]! - (last ? last.x[j]! : 0);
  };
  /** Keeps x and its scores z for the next evaluation. */
  const remember = (x: Float64Array, z: Float64Array) => {
    if (last) {
      last.x.set(x);
      last.z.set(z);
    } else last = { x: Float64Array.from(x), z: Float64Array.from(z) };
  };
  // the objective's scores: the previous ones plus the design times the change of the weights
  const scoresAndGradient: Products['scoresAndGradient'] = (x, z, residuals, r, out) => {
    change(x);
    onePass(delta, last?.z, z, residuals, r, out);
    remember(x, z);
  };
  // Hessian-vector products: plain scores of v
  const plainPass: Products['scoresAndGradient'] = (v, u, weigh, t, out) =>
    onePass(v, undefined, u, weigh, t, out);
  return {
    objective: {
      ...(pass ? { scoresAndGradient } : {}),
      scores(x, out) {
        change(x);
        if (last) out.set(last.z);
        scores(delta, out, last !== undefined);
        remember(x, out);
      },
      addTransposed,
    },
    plain: {
      ...(pass ? { scoresAndGradient: plainPass } : {}),
      scores: (x, out) => scores(x, out, false),
      addTransposed,
    },
    dispose() {
      pass?.dispose();
      if (X !== source) X.dispose();
    },
    ...(upload ? { finite: upload.finite } : {}),
  };
}
