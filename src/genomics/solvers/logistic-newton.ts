/**
 * Logistic regression by Newton's method on a small dense design (the genotype and a few
 * covariates): plain maximum likelihood with step halving, or Firth's penalised likelihood
 * (Firth 1993; Heinze & Schemper 2002), which stays finite under separation. The association
 * scan's careful path.
 *
 * @module
 */
import { choleskyInverse } from './dense.js';

/**
 * The log-likelihood Σ y·z − log(1 + eᶻ) of a logistic model at beta (X n×k row-major).
 *
 * @internal
 */
export function logLikelihood(
  X: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  beta: Float64Array,
): number {
  let ll = 0;
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < k; j++) z += X[i * k + j]! * beta[j]!;
    ll += y[i]! * z - (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))));
  }
  return ll;
}

/** A fit's estimates. @internal */
export interface Fit {
  beta: Float64Array;
  /** (XᵀWX)⁻¹ at beta. */
  cov: Float64Array;
  /** Log-likelihood (penalised by ½ log|I| for Firth). */
  logLik: number;
  converged: boolean;
}

/**
 * Logistic regression by Newton's method, plain or with Firth's penalty, from `start`.
 * X is n×k row-major; undefined when the information matrix is singular at the start.
 *
 * @internal
 */
export function logisticFit(
  X: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  start: Float64Array,
  firth: boolean,
  maxIter: number,
): Fit | undefined {
  let beta = Float64Array.from(start);
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  const info = new Float64Array(k * k);
  const score = new Float64Array(k);
  const evaluate = (b: Float64Array): { logLik: number; cov: Float64Array } | undefined => {
    let ll = 0;
    info.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let z = 0;
      for (let j = 0; j < k; j++) z += X[row + j]! * b[j]!;
      // one exponential per sample: e = e^{−|z|}, σ(z) and log(1 + e^z) both follow from it
      const e = Math.exp(-Math.abs(z));
      const pi = z >= 0 ? 1 / (1 + e) : e / (1 + e);
      const wi = pi * (1 - pi);
      p[i] = pi;
      w[i] = wi;
      ll += y[i]! * z - (Math.max(z, 0) + Math.log1p(e));
      for (let a = 0; a < k; a++) {
        const xa = X[row + a]! * wi;
        const at = a * k;
        for (let c = 0; c <= a; c++) info[at + c]! += xa * X[row + c]!;
      }
    }
    for (let a = 0; a < k; a++) for (let c = 0; c < a; c++) info[c * k + a] = info[a * k + c]!;
    const factor = choleskyInverse(info, k);
    if (!factor) return undefined;
    // Firth: the likelihood penalised by ½·log|I|
    if (firth) ll += 0.5 * factor.logDet;
    return { logLik: ll, cov: factor.inv };
  };
  let current = evaluate(beta);
  if (!current) return undefined;
  for (let iter = 0; iter < maxIter; iter++) {
    score.fill(0);
    for (let i = 0; i < n; i++) {
      let r = y[i]! - p[i]!;
      if (firth) {
        // hat value h_i = w_i·x_iᵀ I⁻¹ x_i
        let h = 0;
        for (let a = 0; a < k; a++) {
          let s = 0;
          for (let c = 0; c < k; c++) s += current.cov[a * k + c]! * X[i * k + c]!;
          h += X[i * k + a]! * s;
        }
        r += h * w[i]! * (0.5 - p[i]!);
      }
      for (let a = 0; a < k; a++) score[a]! += r * X[i * k + a]!;
    }
    const step = new Float64Array(k);
    let largest = 0;
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += current.cov[a * k + c]! * score[c]!;
      step[a] = s;
      largest = Math.max(largest, Math.abs(s));
    }
    // step halving until the (penalised) likelihood does not fall
    let t = 1;
    let next: { logLik: number; cov: Float64Array } | undefined;
    let candidate = beta;
    for (let h = 0; h < 30; h++) {
      candidate = beta.map((b, a) => b + t * step[a]!);
      next = evaluate(candidate);
      if (next && next.logLik >= current.logLik - 1e-12 * Math.abs(current.logLik)) break;
      t /= 2;
      next = undefined;
    }
    if (!next) {
      return { beta, cov: current.cov, logLik: current.logLik, converged: largest * t < 1e-6 };
    }
    beta = candidate;
    current = next;
    if (largest * t < 1e-6)
      return { beta, cov: current.cov, logLik: current.logLik, converged: true };
  }
  return { beta, cov: current.cov, logLik: current.logLik, converged: false };
}
