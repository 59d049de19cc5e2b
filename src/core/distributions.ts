/**
 * Tail probabilities of the normal and chi-square distributions, accurate far into the tail
 * (p-values of 1e-300 and below keep their relative precision), for association statistics.
 *
 * Both reduce to the regularised upper incomplete gamma function Q(a, x): the standard normal
 * two-sided p-value is erfc(|z|/√2) = Q(½, z²/2) and the chi-square survival function with k
 * degrees of freedom is Q(k/2, x/2). Q is computed by its series (x < a + 1) or Lentz's
 * continued fraction (Numerical Recipes §6.2), with ln Γ from the Lanczos approximation.
 *
 * @module
 */
import { ArgumentError, describeValue } from './errors.js';

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). @internal */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a). @internal */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // series for P, Q = 1 − P
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  return Math.exp(lead) * continuedFractionQ(a, x);
}

/** Q(a, x)·eˣ·x⁻ᵃ·Γ(a) by Lentz's continued fraction (x ≥ a + 1). */
function continuedFractionQ(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/**
 * ln Q(a, x), finite where Q itself underflows (x in the thousands): the continued fraction's
 * leading factor stays in the log domain. @internal
 */
export function logGammaQ(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) return Math.log(gammaQ(a, x));
  return -x + a * Math.log(x) - logGamma(a) + Math.log(continuedFractionQ(a, x));
}

/**
 * ln erfc(x) to double precision for any finite x, far into the upper tail (erfc(30) = 2.6e-393
 * is below the smallest double; its logarithm is not): erfc(x) = Q(½, x²) for x ≥ 0, and
 * 2 − erfc(−x) below 0. @internal
 */
export function logErfc(x: number): number {
  if (x >= 0) return logGammaQ(0.5, x * x);
  return Math.log(2 - gammaQ(0.5, x * x));
}

/**
 * The two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|) = erfc(|z|/√2).
 *
 * @param z - the statistic (finite).
 * @returns the p-value in [0, 1].
 * @throws {@link ArgumentError} for NaN.
 *
 * @example
 * ```ts
 * normalTwoSidedP(1.959963984540054); // 0.05
 * normalTwoSidedP(10); // 1.5e-23
 * ```
 */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z))
    throw new ArgumentError(
      `normalTwoSidedP: \`z\` must be a number. Received: ${describeValue(z)}.`,
    );
  if (!Number.isFinite(z)) return 0;
  return Math.min(1, gammaQ(0.5, (z * z) / 2));
}

/**
 * The chi-square survival function P(X ≥ x) with `df` degrees of freedom.
 *
 * @param x - the statistic (≥ 0).
 * @param df - degrees of freedom (> 0).
 * @returns the p-value in [0, 1].
 * @throws {@link ArgumentError} for NaN or df ≤ 0.
 *
 * @example
 * ```ts
 * chiSquareSf(3.841458820694124, 1); // 0.05
 * ```
 */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) {
    throw new ArgumentError(
      `chiSquareSf: needs a statistic and df > 0. Received: x = ${describeValue(x)}, df = ${describeValue(df)}.`,
    );
  }
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, gammaQ(df / 2, x / 2));
}

/**
 * The |z| whose two-sided standard normal p-value is `p`: the inverse of
 * {@link normalTwoSidedP} (Acklam's rational approximation, refined by Newton steps).
 *
 * @param p - a p-value in (0, 1].
 * @returns |z| ≥ 0.
 * @throws {@link ArgumentError} for p outside (0, 1].
 *
 * @example
 * ```ts
 * normalTwoSidedZ(0.05); // 1.959963984540054
 * ```
 */
export function normalTwoSidedZ(p: number): number {
  if (!(p > 0 && p <= 1))
    throw new ArgumentError(
      `normalTwoSidedZ: \`p\` must be in (0, 1]. Received: ${describeValue(p)}.`,
    );
  // Acklam: the lower-tail quantile of q = p/2
  const q = p / 2;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (q < 0.02425) {
    const t = Math.sqrt(-2 * Math.log(q));
    x =
      (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) /
      ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1);
  } else {
    const t = q - 0.5;
    const r = t * t;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * t) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  let z = Math.abs(x);
  for (let i = 0; i < 3; i++) {
    const density = (2 * Math.exp(-(z * z) / 2)) / Math.sqrt(2 * Math.PI);
    if (density === 0) break;
    z += (normalTwoSidedP(z) - p) / density;
  }
  return Math.max(0, z);
}
