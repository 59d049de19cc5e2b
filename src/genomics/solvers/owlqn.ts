/**
 * Limited-memory quasi-Newton minimisation of f(x) + Σ_j λ_j·|x_j| for a smooth convex f:
 * L-BFGS (Nocedal 1980) when every λ_j is 0, OWL-QN (Andrew & Gao 2007) otherwise, which keeps
 * each step inside one orthant and uses the pseudo-gradient so the L1 term's kinks are handled
 * exactly (coefficients reach exact zeros). Backtracking line search with the Armijo condition;
 * in double precision on the host.
 *
 * @module
 */

/** The smooth part: its value and gradient at x (the gradient written into `grad`). @internal */
export type SmoothObjective = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@link minimize}. @internal */
export interface MinimizeOptions {
  /** L1 strength per coordinate (0 for unpenalised ones, e.g. intercepts); undefined = none. */
  l1?: Float64Array;
  /** Converged when the largest |(pseudo-)gradient| component is ≤ tol (the solver aims at tol/1000). */
  tol: number;
  /** The most iterations. */
  maxIter: number;
  /**
   * The gradient the solver aims at, as a multiple of tol. Defaults to 1e-3; 1 for objectives
   * evaluated in single precision, whose gradients cannot resolve less.
   */
  aim?: number;
  /** Pairs kept for the inverse-Hessian approximation. Defaults to 10. */
  memory?: number;
}

/** The result of {@link minimize}. @internal */
export interface MinimizeResult {
  x: Float64Array;
  /** The objective (smooth + L1) at x. */
  value: number;
  iterations: number;
  converged: boolean;
  /** The final largest |(pseudo-)gradient| component. */
  gradientNorm: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The pseudo-gradient of f + Σ λ|x| (the gradient itself where λ = 0). */
function pseudoGradient(
  x: Float64Array,
  g: Float64Array,
  l1: Float64Array | undefined,
  out: Float64Array,
): void {
  for (let j = 0; j < x.length; j++) {
    const lam = l1 ? l1[j]! : 0;
    if (lam === 0) out[j] = g[j]!;
    else if (x[j]! > 0) out[j] = g[j]! + lam;
    else if (x[j]! < 0) out[j] = g[j]! - lam;
    else if (g[j]! + lam < 0) out[j] = g[j]! + lam;
    else if (g[j]! - lam > 0) out[j] = g[j]! - lam;
    else out[j] = 0;
  }
}

function l1Value(x: Float64Array, l1: Float64Array | undefined): number {
  if (!l1) return 0;
  let s = 0;
  for (let j = 0; j < x.length; j++) s += l1[j]! * Math.abs(x[j]!);
  return s;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

// The solver's loops over the coordinates, each a small function of its own: V8 optimises a
// small function once, where a long one with many loops is recompiled for each hot loop it
// enters (on-stack replacement), on a background thread that takes a core from the products.

/** out = c·v. */
function scaled(v: Float64Array, c: number, out: Float64Array): void {
  for (let j = 0; j < v.length; j++) out[j] = c * v[j]!;
}

/** a − b, into `out` (new if not given). */
function difference(
  a: Float64Array,
  b: Float64Array,
  out: Float64Array = new Float64Array(a.length),
): Float64Array {
  for (let j = 0; j < a.length; j++) out[j] = a[j]! - b[j]!;
  return out;
}

/** Σ p·(a − b). */
function dotOfDifference(p: Float64Array, a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < p.length; j++) s += p[j]! * (a[j]! - b[j]!);
  return s;
}

/**
 * d = −H·pg by L-BFGS's two-loop recursion over the pairs (S, Y), 1/ρ = sᵀy. Each update of d is
 * fused with the dot product the next step needs (the same operations in the same order as
 * separate loops, in half the sweeps over the vectors).
 */
function direction(
  pg: Float64Array,
  S: Float64Array[],
  Y: Float64Array[],
  rho: number[],
  alpha: Float64Array,
  d: Float64Array,
): void {
  const k = S.length;
  if (k === 0) {
    scaled(pg, -1, d);
    scaleInPlace(d, 1 / Math.max(1, Math.sqrt(dot(pg, pg))));
    return;
  }
  const gamma = dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!);
  // first loop: α_i = ρ_i·s_iᵀd, d −= α_i·y_i, newest pair first; then d ×= γ
  let sd = negatedDot(pg, S[k - 1]!, d);
  for (let i = k - 1; i >= 0; i--) {
    alpha[i] = rho[i]! * sd;
    sd =
      i > 0
        ? axpyDot(-alpha[i]!, Y[i]!, d, S[i - 1]!)
        : axpyScaleDot(-alpha[i]!, Y[i]!, d, gamma, Y[0]!);
  }
  // second loop: β_i = ρ_i·y_iᵀd, d += (α_i − β_i)·s_i, oldest pair first
  let yd = sd;
  for (let i = 0; i < k; i++) {
    const c = alpha[i]! - rho[i]! * yd;
    if (i < k - 1) yd = axpyDot(c, S[i]!, d, Y[i + 1]!);
    else axpy(c, S[i]!, d);
  }
}

/** d = −pg; returns wᵀd. */
function negatedDot(pg: Float64Array, w: Float64Array, d: Float64Array): number {
  let s = 0;
  for (let j = 0; j < d.length; j++) {
    d[j] = -pg[j]!;
    s += w[j]! * d[j]!;
  }
  return s;
}

/** d += c·v; returns wᵀd (of the new d). */
function axpyDot(c: number, v: Float64Array, d: Float64Array, w: Float64Array): number {
  let s = 0;
  for (let j = 0; j < d.length; j++) {
    d[j]! += c * v[j]!;
    s += w[j]! * d[j]!;
  }
  return s;
}

/** d = (d + c·v)·g; returns wᵀd (of the new d). */
function axpyScaleDot(
  c: number,
  v: Float64Array,
  d: Float64Array,
  g: number,
  w: Float64Array,
): number {
  let s = 0;
  for (let j = 0; j < d.length; j++) {
    const t = d[j]! + c * v[j]!;
    d[j] = t * g;
    s += w[j]! * d[j]!;
  }
  return s;
}

/** d += c·v. */
function axpy(c: number, v: Float64Array, d: Float64Array): void {
  for (let j = 0; j < d.length; j++) d[j]! += c * v[j]!;
}

/** d *= c. */
function scaleInPlace(d: Float64Array, c: number): void {
  for (let j = 0; j < d.length; j++) d[j]! *= c;
}

/** Zeroes the components of d that do not descend along the pseudo-gradient. */
function keepDescending(d: Float64Array, pg: Float64Array): void {
  for (let j = 0; j < d.length; j++) if (d[j]! * pg[j]! >= 0) d[j] = 0;
}

/** out = x + step·d, projected on x's orthant (or −pg's where x is 0) for L1 coordinates. */
function trialPoint(
  x: Float64Array,
  d: Float64Array,
  step: number,
  l1: Float64Array | undefined,
  pg: Float64Array,
  out: Float64Array,
): void {
  for (let j = 0; j < x.length; j++) {
    let v = x[j]! + step * d[j]!;
    if (l1 && l1[j]! > 0) {
      const orthant = x[j]! !== 0 ? Math.sign(x[j]!) : -Math.sign(pg[j]!);
      if (Math.sign(v) !== orthant) v = 0;
    }
    out[j] = v;
  }
}

/**
 * Minimises f(x) + Σ λ_j |x_j| from `x0`.
 *
 * @internal
 */
export function minimize(
  f: SmoothObjective,
  x0: Float64Array,
  options: MinimizeOptions,
): MinimizeResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const l1 = options.l1?.some((v) => v > 0) ? options.l1 : undefined;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g) + l1Value(x, l1);
  const pg = new Float64Array(n);
  pseudoGradient(x, g, l1, pg);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const spare: { s?: Float64Array | undefined; y?: Float64Array | undefined } = {};
  const d = new Float64Array(n);
  const alpha = new Float64Array(m);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;
  let gradientNorm = maxAbs(pg);
  if (!Number.isFinite(fx)) return { x, value: fx, iterations, converged: false, gradientNorm };
  // Aim three orders below tol (cheap at L-BFGS's superlinear rate, and it settles coefficients
  // along flat directions of ill-conditioned problems); report convergence against tol itself.
  const target = options.tol * (options.aim ?? 1e-3);
  while (gradientNorm > target && iterations < options.maxIter) {
    iterations++;
    // d = −H·pg by the two-loop recursion
    direction(pg, S, Y, rho, alpha, d);
    // OWL-QN: keep only components that descend along the pseudo-gradient
    if (l1) keepDescending(d, pg);
    let slope = dot(pg, d);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      scaled(pg, -1, d);
      slope = -dot(pg, pg);
    }
    // backtracking line search on the (orthant-projected) step
    let step = 1;
    let fNew = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      trialPoint(x, d, step, l1, pg, xNew);
      fNew = f(xNew, gNew) + l1Value(xNew, l1);
      const decrease = dotOfDifference(pg, xNew, x);
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break; // no decrease found at machine precision: as good as it gets
    // the new pair in the arrays of the oldest one once the history is full (or of a pair
    // refused last time), else in new ones
    const s = difference(xNew, x, spare.s);
    const y = difference(gNew, g, spare.y);
    spare.s = spare.y = undefined;
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (S.length === m) {
        spare.s = S.shift();
        spare.y = Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    } else [spare.s, spare.y] = [s, y];
    const fOld = fx;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = fNew;
    pseudoGradient(x, g, l1, pg);
    gradientNorm = maxAbs(pg);
    // no progress at double precision: as good as it gets
    if (Math.abs(fOld - fx) <= 1e-16 * Math.max(1, Math.abs(fx))) break;
  }
  return { x, value: fx, iterations, converged: gradientNorm <= options.tol, gradientNorm };
}
