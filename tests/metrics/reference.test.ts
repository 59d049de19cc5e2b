/**
 * Every metric against scikit-learn 1.2 on the same inputs (tests/fixtures/metrics-sklearn.json,
 * made by scripts/fixtures/metrics_sklearn.py): tied scores, sample weights, labels that are not
 * 0/1, rare positives, three to ten classes. Exact metrics agree to 1e-9.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  calibrationCurve,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  f1Score,
  negativePredictiveValue,
  precision,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  sensitivity,
  specificity,
} from '../../src/metrics/index.js';
import { expectClose } from '../helpers/close.js';

interface BinaryCase {
  name: string;
  yTrue: number[];
  yScore: number[];
  yPred: number[];
  sampleWeight: number[] | null;
  positiveLabel: number;
  negativeLabel: number;
  rocCurve: { fpr: number[]; tpr: number[]; thresholds: number[] };
  rocCurveAll: { fpr: number[]; tpr: number[]; thresholds: number[] };
  rocAuc: number;
  rocAucMaxFpr: Record<string, number>;
  prCurve: { precision: number[]; recall: number[]; thresholds: number[] };
  averagePrecision: number;
  confusionMatrix: number[][];
  accuracy: number;
  balancedAccuracy: number;
  sensitivity: number;
  specificity: number;
  precision: number;
  npv: number;
  f1: number;
  brier: number;
  calibration?: Record<string, { probTrue: number[]; probPred: number[] }>;
  ece10?: number;
}

interface MulticlassCase {
  name: string;
  yTrue: number[];
  yScore: number[][];
  yPred: number[];
  sampleWeight: number[] | null;
  confusionMatrix: number[][];
  confusionMatrixNormalized: Record<'true' | 'pred' | 'all', number[][]>;
  confusionMatrixLabels: { labels: number[]; matrix: number[][] };
  accuracy: number;
  balancedAccuracy: number;
  rocAuc: Record<'macro' | 'weighted', number>;
  rocAucPerClass: number[];
  averagePrecision: Record<'macro' | 'weighted' | 'micro', number>;
  recall: Record<'none' | 'macro' | 'micro' | 'weighted', number | number[]>;
  precision: Record<'none' | 'macro' | 'micro' | 'weighted', number | number[]>;
  f1: Record<'none' | 'macro' | 'micro' | 'weighted', number | number[]>;
  topLabelEce10: number;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/metrics-sklearn.json', import.meta.url), 'utf8'),
) as { cases: { binary: BinaryCase[]; multiclass: MulticlassCase[] } };

const EXACT = { rtol: 1e-9, atol: 1e-12 };

describe.each(fixture.cases.binary)('binary metrics equal scikit-learn: $name', (c) => {
  const w = c.sampleWeight ?? undefined;
  const pos = c.positiveLabel;
  const base = { sampleWeights: w, positiveLabel: pos };

  it('rocCurve (dropping intermediate points, and keeping them)', () => {
    const r = rocCurve(c.yTrue, c.yScore, base);
    expectClose(r.fpr, c.rocCurve.fpr, EXACT, 'fpr');
    expectClose(r.tpr, c.rocCurve.tpr, EXACT, 'tpr');
    expectClose(r.thresholds, c.rocCurve.thresholds, EXACT, 'thresholds');
    const all = rocCurve(c.yTrue, c.yScore, { ...base, dropIntermediate: false });
    expectClose(all.fpr, c.rocCurveAll.fpr, EXACT, 'fpr');
    expectClose(all.tpr, c.rocCurveAll.tpr, EXACT, 'tpr');
    expectClose(all.thresholds, c.rocCurveAll.thresholds, EXACT, 'thresholds');
  });

  it('rocAuc, full and partial (McClish)', () => {
    expectClose(rocAuc(c.yTrue, c.yScore, base), c.rocAuc, EXACT);
    for (const [m, v] of Object.entries(c.rocAucMaxFpr)) {
      expectClose(rocAuc(c.yTrue, c.yScore, { ...base, maxFpr: Number(m) }), v, EXACT);
    }
  });

  it('precisionRecallCurve and averagePrecision', () => {
    const r = precisionRecallCurve(c.yTrue, c.yScore, base);
    expectClose(r.precision, c.prCurve.precision, EXACT, 'precision');
    expectClose(r.recall, c.prCurve.recall, EXACT, 'recall');
    expectClose(r.thresholds, c.prCurve.thresholds, EXACT, 'thresholds');
    expectClose(averagePrecision(c.yTrue, c.yScore, base), c.averagePrecision, EXACT);
  });

  it('confusion matrix and threshold metrics', () => {
    const labels = [c.negativeLabel, pos];
    expect(confusionMatrix(c.yTrue, c.yPred, { labels, sampleWeights: w })).toEqual(
      c.confusionMatrix.map((r) => r.map((v) => expect.closeTo(v, 9))),
    );
    expectClose(accuracy(c.yTrue, c.yPred, { sampleWeights: w }), c.accuracy, EXACT);
    expectClose(
      balancedAccuracy(c.yTrue, c.yPred, { sampleWeights: w }),
      c.balancedAccuracy,
      EXACT,
    );
    expectClose(sensitivity(c.yTrue, c.yPred, base), c.sensitivity, EXACT);
    expectClose(specificity(c.yTrue, c.yPred, base), c.specificity, EXACT);
    expectClose(precision(c.yTrue, c.yPred, base), c.precision, EXACT);
    expectClose(negativePredictiveValue(c.yTrue, c.yPred, base), c.npv, EXACT);
    expectClose(f1Score(c.yTrue, c.yPred, base), c.f1, EXACT);
    expectClose(brierScore(c.yTrue, c.yScore, base), c.brier, EXACT);
  });
});

describe.each(fixture.cases.binary.filter((c) => c.calibration !== undefined))(
  'calibration equals scikit-learn: $name',
  (c) => {
    const pos = c.positiveLabel;
    it('calibrationCurve (uniform and quantile bins) and ECE', () => {
      for (const [key, ref] of Object.entries(c.calibration ?? {})) {
        const [strategy, bins] = key.split('-') as ['uniform' | 'quantile', string];
        const r = calibrationCurve(c.yTrue, c.yScore, {
          nBins: Number(bins),
          strategy,
          positiveLabel: pos,
        });
        expectClose(r.probTrue, ref.probTrue, EXACT, `${key} probTrue`);
        expectClose(r.probPred, ref.probPred, EXACT, `${key} probPred`);
      }
      expectClose(
        expectedCalibrationError(c.yTrue, c.yScore, { positiveLabel: pos }),
        c.ece10 ?? Number.NaN,
        EXACT,
      );
    });
  },
);

describe.each(fixture.cases.multiclass)('multiclass metrics equal scikit-learn: $name', (c) => {
  const w = c.sampleWeight ?? undefined;

  it('confusionMatrix: raw, normalised three ways, and with chosen labels', () => {
    expectClose(confusionMatrix(c.yTrue, c.yPred, { sampleWeights: w }), c.confusionMatrix, EXACT);
    for (const how of ['true', 'pred', 'all'] as const) {
      expectClose(
        confusionMatrix(c.yTrue, c.yPred, { sampleWeights: w, normalize: how }),
        c.confusionMatrixNormalized[how],
        EXACT,
        how,
      );
    }
    const { labels, matrix } = c.confusionMatrixLabels;
    expectClose(confusionMatrix(c.yTrue, c.yPred, { sampleWeights: w, labels }), matrix, EXACT);
  });

  it('rocAuc one-vs-rest, macro and weighted', () => {
    for (const avg of ['macro', 'weighted'] as const) {
      expectClose(
        rocAuc(c.yTrue, c.yScore, { sampleWeights: w, average: avg }),
        c.rocAuc[avg],
        EXACT,
      );
    }
  });

  it('averagePrecision: macro, weighted and micro', () => {
    for (const avg of ['macro', 'weighted', 'micro'] as const) {
      expectClose(
        averagePrecision(c.yTrue, c.yScore, { sampleWeights: w, average: avg }),
        c.averagePrecision[avg],
        EXACT,
        avg,
      );
    }
  });

  it('recall, precision and F1 averaged three ways, and per class in the report', () => {
    for (const avg of ['macro', 'micro', 'weighted'] as const) {
      const o = { sampleWeights: w, average: avg };
      expectClose(sensitivity(c.yTrue, c.yPred, o), c.recall[avg] as number, EXACT);
      expectClose(precision(c.yTrue, c.yPred, o), c.precision[avg] as number, EXACT);
      expectClose(f1Score(c.yTrue, c.yPred, o), c.f1[avg] as number, EXACT);
    }
    const r = classificationReport(c.yTrue, c.yPred, { sampleWeights: w });
    expectClose(r.sensitivity, c.recall.none as number[], EXACT);
    expectClose(r.precision, c.precision.none as number[], EXACT);
    expectClose(r.f1, c.f1.none as number[], EXACT);
    expectClose(r.accuracy, c.accuracy, EXACT);
    expectClose(r.balancedAccuracy, c.balancedAccuracy, EXACT);
    expectClose(accuracy(c.yTrue, c.yPred, { sampleWeights: w }), c.accuracy, EXACT);
    expectClose(
      balancedAccuracy(c.yTrue, c.yPred, { sampleWeights: w }),
      c.balancedAccuracy,
      EXACT,
    );
    // Specificity and NPV per class, read off scikit-learn's confusion matrix.
    const m = c.confusionMatrix;
    const total = m.flat().reduce((a, b) => a + b, 0);
    m.forEach((row, i) => {
      const tp = row[i]!;
      const fn = row.reduce((a, b) => a + b, 0) - tp;
      const fp = m.reduce((a, r) => a + r[i]!, 0) - tp;
      const tn = total - tp - fn - fp;
      expectClose(r.specificity[i]!, tn / (tn + fp), EXACT);
      expectClose(r.npv[i]!, tn / (tn + fn), EXACT);
    });
  });

  it('top-label expected calibration error', () => {
    expectClose(expectedCalibrationError(c.yTrue, c.yScore), c.topLabelEce10, EXACT);
  });
});
