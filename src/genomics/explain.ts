/**
 * Per-patient explanation of a linear genomic risk model: each variant's contribution to the
 * patient's log-odds (coefficient × the patient's encoded genotype), the top drivers, the risk,
 * and a typed hook that maps the risk to a treatment plan the user supplies (the library gives
 * no medical advice of its own).
 *
 * @module
 */

import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import type { LogisticRegression } from './classifier.js';

/** One feature's share of a patient's log-odds. */
export interface Contribution {
  /** The feature's column. */
  feature: number;
  /** Its name, when names were given. */
  name?: string;
  /** The patient's value of the feature (as the model saw it, e.g. standardised). */
  value: number;
  /** The model's coefficient. */
  coefficient: number;
  /** coefficient × value: what this feature adds to the log-odds. */
  contribution: number;
}

/** What {@link explainPatient} returns. */
export interface PatientExplanation {
  /** The model's log-odds for the patient: intercept + Σ contributions. */
  logOdds: number;
  /** The predicted probability of the positive class (the model's second class). */
  risk: number;
  /** The intercept. */
  intercept: number;
  /** The `top` contributions by absolute size, largest first. */
  drivers: Contribution[];
  /** Every non-zero contribution, in feature order. */
  contributions: Contribution[];
}

/** Options of {@link explainPatient}. */
export interface ExplainPatientOptions {
  /** How many drivers to list. Defaults to 10. */
  top?: number;
  /** A name per feature (variant IDs). */
  featureNames?: readonly string[];
}

/**
 * Explains one patient's prediction by a fitted binary {@link LogisticRegression}: the
 * log-odds is the intercept plus Σ_j β_j·x_j, so β_j·x_j is exactly variant j's share.
 *
 * @param model - a fitted binary LogisticRegression.
 * @param features - the patient's feature row, encoded as the model was trained (same columns).
 * @param options - see {@link ExplainPatientOptions}.
 * @returns log-odds, risk, and the contributions with the top drivers.
 * @throws {@link ArgumentError} for a multiclass model or NaN features; {@link ShapeError}
 *   for the wrong number of features.
 *
 * @example
 * ```ts
 * const e = explainPatient(model, patientRow, { featureNames: variantIds, top: 5 });
 * e.risk; e.drivers[0].name; // the variant that moves this patient's risk most
 * ```
 */
export function explainPatient(
  model: LogisticRegression,
  features: readonly number[] | Float64Array,
  options?: ExplainPatientOptions,
): PatientExplanation {
  const fn = 'explainPatient';
  const { top, featureNames: names } = resolveOptions(fn, options, {
    top: { constraint: { kind: 'number', integer: true, min: 0 }, default: 10 },
    featureNames: { constraint: { kind: 'any' } },
  });
  const coef = model.coef;
  if (coef.length !== 1) {
    throw new ArgumentError(
      `${fn}: the model must be binary (one row of coefficients). Received: ${coef.length} classes' rows.`,
    );
  }
  const beta = coef[0]!;
  if (features.length !== beta.length) {
    throw new ShapeError(
      `${fn}: \`features\` must hold ${beta.length} values (the model's features). Received: ${features.length}.`,
    );
  }
  if (names !== undefined && (!Array.isArray(names) || names.length !== beta.length)) {
    throw new ShapeError(
      `${fn}: \`featureNames\` must name all ${beta.length} features. Received: ${Array.isArray(names) ? names.length : describeValue(names)}.`,
    );
  }
  const intercept = model.intercept[0]!;
  const contributions: Contribution[] = [];
  let logOdds = intercept;
  for (let j = 0; j < beta.length; j++) {
    const value = features[j]!;
    if (!Number.isFinite(value))
      throw new ArgumentError(
        `${fn}: \`features\` must be finite. Received: ${describeValue(value)} at ${j}.`,
      );
    const contribution = beta[j]! * value;
    logOdds += contribution;
    if (contribution !== 0) {
      contributions.push({
        feature: j,
        ...(names ? { name: names[j]! } : {}),
        value,
        coefficient: beta[j]!,
        contribution,
      });
    }
  }
  const drivers = [...contributions]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top);
  const risk =
    logOdds >= 0 ? 1 / (1 + Math.exp(-logOdds)) : Math.exp(logOdds) / (1 + Math.exp(logOdds));
  return { logOdds, risk, intercept, drivers, contributions };
}

/** One risk band of a {@link TreatmentPolicy}: risks below `below` get `plan`. */
export interface RiskBand<Plan> {
  /** The band's upper bound (exclusive), in (0, 1]. */
  below: number;
  /** What the user's protocol prescribes in this band. */
  plan: Plan;
}

/**
 * A user-supplied mapping from risk to treatment plan: bands in ascending order of `below`, and
 * the plan for risks at or above the last band.
 */
export interface TreatmentPolicy<Plan> {
  /** The bands, ascending. */
  bands: readonly RiskBand<Plan>[];
  /** The plan above every band. */
  otherwise: Plan;
}

/**
 * Maps a risk to the plan the user's policy gives for its band. The library supplies no plans:
 * the protocol, and the responsibility for it, are the user's.
 *
 * @param risk - a probability in [0, 1].
 * @param policy - the user's bands (ascending) and the plan above them.
 * @returns the plan of the first band whose `below` exceeds the risk, else `otherwise`.
 * @throws {@link ArgumentError} for a risk outside [0, 1] or bands out of order.
 *
 * @example
 * ```ts
 * const policy = { bands: [{ below: 0.1, plan: 'standard care' }, { below: 0.4, plan: 'screening' }], otherwise: 'refer' };
 * planForRisk(explainPatient(model, row).risk, policy);
 * ```
 */
export function planForRisk<Plan>(risk: number, policy: TreatmentPolicy<Plan>): Plan {
  const fn = 'planForRisk';
  if (!(risk >= 0 && risk <= 1))
    throw new ArgumentError(`${fn}: \`risk\` must be in [0, 1]. Received: ${describeValue(risk)}.`);
  const bands = policy?.bands;
  if (!Array.isArray(bands))
    throw new ArgumentError(`${fn}: \`policy.bands\` must be an array of { below, plan }.`);
  for (let i = 0; i < bands.length; i++) {
    const b = bands[i]!;
    if (!(b.below > 0 && b.below <= 1) || (i > 0 && b.below <= bands[i - 1]!.below)) {
      throw new ArgumentError(
        `${fn}: band ${i} must have \`below\` in (0, 1], above the previous band's. Received: ${describeValue(b.below)}.`,
      );
    }
  }
  for (const b of bands) if (risk < b.below) return b.plan;
  return policy.otherwise;
}
