/**
 * Dense linear algebra on small symmetric matrices (row-major Float64Arrays), shared by the
 * genomics solvers: the Cholesky inverse with its log-determinant (Newton and Firth fits),
 * cyclic-Jacobi eigen-decomposition and Gram–Schmidt orthonormalisation (principal components).
 *
 * @module
 */

/**
 * The inverse of a symmetric positive-definite k×k A through its Cholesky factor, with log|A|
 * (twice the sum of the factor's log-diagonal); undefined when A is not positive definite.
 *
 * @internal
 */
export function choleskyInverse(
  A: Float64Array,
  k: number,
): { inv: Float64Array; logDet: number } | undefined {
  const L = new Float64Array(k * k);
  let logDet = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j]!;
      for (let m = 0; m < j; m++) s -= L[i * k + m]! * L[j * k + m]!;
      if (i === j) {
        if (!(s > 1e-300)) return undefined;
        L[i * k + i] = Math.sqrt(s);
        logDet += Math.log(s);
      } else {
        L[i * k + j] = s / L[j * k + j]!;
      }
    }
  }
  // inverse of L, then A⁻¹ = L⁻ᵀ L⁻¹
  const Li = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    Li[i * k + i] = 1 / L[i * k + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let m = j; m < i; m++) s -= L[i * k + m]! * Li[m * k + j]!;
      Li[i * k + j] = s / L[i * k + i]!;
    }
  }
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let m = i; m < k; m++) s += Li[m * k + i]! * Li[m * k + j]!;
      inv[i * k + j] = s;
      inv[j * k + i] = s;
    }
  }
  return { inv, logDet };
}

/** Symmetric eigen-decomposition by cyclic Jacobi rotations (small matrices). @internal */
export function jacobiEigen(
  A: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/**
 * Orthonormalises the columns of Y (n × l, row-major) in place (modified Gram–Schmidt, twice).
 *
 * @internal
 */
export function orthonormalise(Y: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += Y[r * l + i]! * Y[r * l + j]!;
        for (let r = 0; r < n; r++) Y[r * l + j]! -= d * Y[r * l + i]!;
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += Y[r * l + j]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let r = 0; r < n; r++) Y[r * l + j]! /= norm;
    }
  }
}
