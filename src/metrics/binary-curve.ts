/**
 * The cumulative counts behind every threshold curve (ROC, precision–recall): for each distinct
 * score, from the highest down, the (weighted) number of positives and negatives scoring at or
 * above it. scikit-learn's `_binary_clf_curve`, in double precision.
 *
 * @module
 */

/** Cumulative true/false positives at each distinct threshold, thresholds descending. @internal */
export interface BinaryCurve {
  /** Weighted false positives scoring ≥ threshold. */
  fps: Float64Array;
  /** Weighted true positives scoring ≥ threshold. */
  tps: Float64Array;
  /** The distinct scores, descending. */
  thresholds: Float64Array;
}

/**
 * Sorts by descending score and accumulates positives and negatives; tied scores collapse into
 * one threshold (the curve moves diagonally across a tie, which is what makes AUC count a tied
 * pair as ½).
 *
 * @internal
 */
export function binaryCurve(
  isPositive: Uint8Array,
  score: Float64Array,
  weight: Float64Array | undefined,
): BinaryCurve {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    const w = weight ? weight[i]! : 1;
    if (isPositive[i]) tp += w;
    else fp += w;
    const next = order[r + 1];
    if (next === undefined || score[next] !== score[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(score[i]!);
    }
  }
  return {
    fps: Float64Array.from(fps),
    tps: Float64Array.from(tps),
    thresholds: Float64Array.from(thresholds),
  };
}

/** Trapezoidal area under the points `(x[i], y[i])` (x monotone). @internal */
export function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}
