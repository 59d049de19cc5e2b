/**
 * Truncated Newton (Newton-CG) minimisation of a smooth convex function: each iteration solves
 * H·d = −g approximately by conjugate gradients with Hessian-vector products, then backtracks
 * along d (Armijo). Quadratic convergence near the optimum: a multinomial logistic fit that
 * takes L-BFGS hundreds of iterations takes it a few dozen (scikit-learn's `newton-cg`).
 *
 * @module
 */
import type { MinimizeResult, SmoothObjective } from './owlqn.js';

/** The Hessian at x as a product operator. @internal */
export type HessianAt = (x: Float64Array) => (v: Float64Array, out: Float64Array) => void;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/**
 * Minimises f from x0 until the largest gradient component is ≤ tol/1000 (reporting
 * convergence against tol) or `maxIter` Newton iterations.
 *
 * @internal
 */
export function minimizeNewton(
  f: SmoothObjective,
  hessianAt: HessianAt,
  x0: Float64Array,
  options: { tol: number; maxIter: number; aim?: number },
): MinimizeResult {
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const r = new Float64Array(n);
  const q = new Float64Array(n);
  const hq = new Float64Array(n);
  let gradientNorm = maxAbs(g);
  let iterations = 0;
  const target = options.tol * (options.aim ?? 1e-3);
  while (gradientNorm > target && iterations < options.maxIter && Number.isFinite(fx)) {
    iterations++;
    // CG on H·d = −g, from d = 0, to a residual of min(0.5, √‖g‖)·‖g‖
    const H = hessianAt(x);
    d.fill(0);
    for (let j = 0; j < n; j++) r[j] = -g[j]!;
    q.set(r);
    let rr = dot(r, r);
    const gNorm = Math.sqrt(rr);
    const stop = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
    for (let it = 0; it < Math.max(50, 2 * n) && Math.sqrt(rr) > stop; it++) {
      H(q, hq);
      const curvature = dot(q, hq);
      if (curvature <= 1e-16 * dot(q, q)) {
        if (it === 0) d.set(r); // no curvature: steepest descent
        break;
      }
      const alpha = rr / curvature;
      for (let j = 0; j < n; j++) {
        d[j]! += alpha * q[j]!;
        r[j]! -= alpha * hq[j]!;
      }
      const rrNew = dot(r, r);
      const beta = rrNew / rr;
      rr = rrNew;
      for (let j = 0; j < n; j++) q[j] = r[j]! + beta * q[j]!;
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      for (let j = 0; j < n; j++) d[j] = -g[j]!;
      slope = -dot(g, g);
    }
    let step = 1;
    let accepted = false;
    let fNew = fx;
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < n; j++) xNew[j] = x[j]! + step * d[j]!;
      fNew = f(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break; // no decrease at double precision: as good as it gets
    const fOld = fx;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = fNew;
    gradientNorm = maxAbs(g);
    if (Math.abs(fOld - fx) <= 1e-16 * Math.max(1, Math.abs(fx))) break;
  }
  return { x, value: fx, iterations, converged: gradientNorm <= options.tol, gradientNorm };
}
