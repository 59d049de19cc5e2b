/**
 * The metrics beyond the scikit-learn sweep: hand-checkable values (the TSDoc examples),
 * the seeded bootstrap against a transcription of it, tensor input on every backend (a promise,
 * no leak), and one clear error per kind of bad input.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ArgumentError, MedkitError, ShapeError } from '../../src/core/index.js';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  bootstrapCi,
  brierScore,
  calibrationCurve,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  f1Score,
  negativePredictiveValue,
  precision,
  precisionRecallCurve,
  recall,
  rocAuc,
  rocCurve,
  sensitivity,
  specificity,
} from '../../src/metrics/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/metrics-sklearn.json', import.meta.url), 'utf8'),
) as {
  cases: {
    bootstrap: {
      yTrue: number[];
      yScore: number[];
      stratified: { estimate: number; lower: number; upper: number; standardError: number };
      plain: { estimate: number; lower: number; upper: number; standardError: number };
    };
  };
};

describe('hand-checked values (the documented examples)', () => {
  it('ROC, PR and AP of the scikit-learn docstring example', () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(rocCurve(y, s)).toEqual({
      fpr: [0, 0, 0.5, 0.5, 1],
      tpr: [0, 0.5, 0.5, 1, 1],
      thresholds: [1.8, 0.8, 0.4, 0.35, 0.1],
    });
    expect(rocAuc(y, s)).toBe(0.75);
    const pr = precisionRecallCurve(y, s);
    expectClose(pr.precision, [0.5, 2 / 3, 0.5, 1, 1], { rtol: 1e-15 });
    expect(pr.recall).toEqual([1, 1, 0.5, 0.5, 0]);
    expect(pr.thresholds).toEqual([0.1, 0.35, 0.4, 0.8]);
    expectClose(averagePrecision(y, s), 5 / 6, { rtol: 1e-15 });
  });

  it('ties count one half; a perfect and a reversed score give 1 and 0', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [4, 3, 2, 1])).toBe(0);
    // logits and probabilities rank the same: the same AUC
    expect(rocAuc([0, 1, 0, 1], [-3, 2, 0.5, 0.1])).toBe(
      rocAuc([0, 1, 0, 1], [0.05, 0.88, 0.62, 0.52]),
    );
  });

  it('[n, 2] class scores read the positive column', () => {
    expect(
      rocAuc(
        [0, 0, 1, 1],
        [
          [0.9, 0.1],
          [0.6, 0.4],
          [0.65, 0.35],
          [0.2, 0.8],
        ],
      ),
    ).toBe(0.75);
  });

  it('threshold metrics', () => {
    expect(confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2])).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(sensitivity([1, 1, 1, 0], [1, 0, 1, 0])).toBeCloseTo(2 / 3, 15);
    expect(recall).toBe(sensitivity);
    expect(specificity([1, 0, 0, 0], [1, 1, 0, 0])).toBeCloseTo(2 / 3, 15);
    expect(precision([1, 0, 1, 0], [1, 1, 1, 0])).toBeCloseTo(2 / 3, 15);
    expect(negativePredictiveValue([1, 0, 0, 0], [0, 0, 0, 1])).toBeCloseTo(2 / 3, 15);
    expect(f1Score([1, 1, 0, 0], [1, 0, 1, 0])).toBe(0.5);
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
    expect(balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0])).toBe(0.5);
    const r = classificationReport([0, 1, 1, 0], [0, 1, 0, 0]);
    expect(r.sensitivity).toEqual([1, 0.5]);
    expect(r.specificity).toEqual([0.5, 1]);
    expect(r.support).toEqual([2, 2]);
    // nothing called positive: precision 0 (scikit-learn's zero_division=0), never NaN
    expect(precision([1, 0], [0, 0])).toBe(0);
  });

  it('calibration and Brier score', () => {
    const c = calibrationCurve(
      [0, 0, 0, 0, 1, 1, 1, 1, 1],
      [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1],
      { nBins: 3 },
    );
    expectClose(c.probTrue, [0, 0.5, 1], { rtol: 1e-15 });
    expectClose(c.probPred, [0.2, 0.525, 0.85], { rtol: 1e-14 });
    expect(c.counts).toEqual([3, 2, 4]);
    expectClose(expectedCalibrationError([0, 1, 1, 1], [0.1, 0.9, 0.9, 0.9]), 0.1, {
      rtol: 1e-12,
    });
    expect(expectedCalibrationError([0, 1], [0, 1])).toBe(0);
    expectClose(brierScore([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), 0.0375, { rtol: 1e-12 });
  });
});

describe('bootstrapCi', () => {
  const b = fixture.cases.bootstrap;

  it('equals the same resampling transcribed in Python with scikit-learn AUCs', () => {
    const s = bootstrapCi(rocAuc, b.yTrue, b.yScore, { nResamples: 200, seed: 7 });
    expectClose(
      [s.estimate, s.lower, s.upper, s.standardError],
      [b.stratified.estimate, b.stratified.lower, b.stratified.upper, b.stratified.standardError],
      { rtol: 1e-9 },
    );
    const p = bootstrapCi(rocAuc, b.yTrue, b.yScore, {
      nResamples: 200,
      confidence: 0.9,
      seed: 11,
      stratified: false,
    });
    expectClose(
      [p.estimate, p.lower, p.upper, p.standardError],
      [b.plain.estimate, b.plain.lower, b.plain.upper, b.plain.standardError],
      { rtol: 1e-9 },
    );
  });

  it('is repeatable with a seed and brackets the estimate', () => {
    const a = bootstrapCi(rocAuc, b.yTrue, b.yScore, { nResamples: 100, seed: 3 });
    const again = bootstrapCi(rocAuc, b.yTrue, b.yScore, { nResamples: 100, seed: 3 });
    expect(again).toEqual(a);
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
    expect(a.nResamples).toBe(100);
  });

  it('works with any metric of labels and predictions', () => {
    const ci = bootstrapCi(
      (t, p) => sensitivity(t, p as number[]),
      [0, 1, 1, 0, 1, 1],
      [0, 1, 0, 0, 1, 1],
      {
        nResamples: 50,
      },
    );
    expect(ci.estimate).toBe(0.75);
    expect(ci.lower).toBeGreaterThanOrEqual(0);
    expect(ci.upper).toBeLessThanOrEqual(1);
  });
});

describeBackends('metrics on tensors', () => {
  it('answer with a promise of the same number, without leaking', async () => {
    const yTrue = tf.tensor1d([0, 0, 1, 1], 'int32');
    const yScore = tf.tensor1d([0.1, 0.4, 0.35, 0.8]);
    const yPred = tf.tensor1d([0, 1, 1, 1], 'int32');
    const probs = tf.tensor2d([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6], [3, 3]);
    const labels3 = tf.tensor1d([0, 1, 2], 'int32');
    await expectNoLeak(async () => {
      const pending = rocAuc(yTrue, yScore);
      expect(pending).toBeInstanceOf(Promise);
      expect(await pending).toBe(0.75);
      expect(await rocCurve(yTrue, [0.1, 0.4, 0.35, 0.8])).toEqual(
        rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
      );
      expect(await confusionMatrix(yTrue, yPred)).toEqual([
        [1, 1],
        [0, 2],
      ]);
      expect(await sensitivity(yTrue, yPred)).toBe(1);
      expect(await specificity(yTrue, yPred)).toBe(0.5);
      expect(await precision(yTrue, yPred)).toBeCloseTo(2 / 3, 6);
      expect(await negativePredictiveValue(yTrue, yPred)).toBe(1);
      expect(await f1Score(yTrue, yPred)).toBeCloseTo(0.8, 6);
      expect(await accuracy(yTrue, yPred)).toBe(0.75);
      expect(await balancedAccuracy(yTrue, yPred)).toBe(0.75);
      expect((await classificationReport(yTrue, yPred)).support).toEqual([2, 2]);
      expectClose(await averagePrecision(yTrue, yScore), 5 / 6, { rtol: 1e-6 });
      expect((await precisionRecallCurve(yTrue, yScore)).recall).toEqual([1, 1, 0.5, 0.5, 0]);
      expect((await calibrationCurve(yTrue, yScore, { nBins: 2 })).counts).toEqual([3, 1]);
      expect(await expectedCalibrationError(labels3, probs)).toBeCloseTo(0.3, 6);
      expectClose(await brierScore(yTrue, yScore), (0.01 + 0.16 + 0.4225 + 0.04) / 4, {
        rtol: 1e-6,
      });
      expect(await rocAuc(labels3, probs)).toBe(1);
      expect((await bootstrapCi(rocAuc, yTrue, yScore, { nResamples: 20 })).estimate).toBe(0.75);
    });
    for (const t of [yTrue, yScore, yPred, probs, labels3]) t.dispose();
  });

  it('reject a disposed tensor and a 3-D tensor', async () => {
    const t = tf.tensor1d([0, 1]);
    t.dispose();
    await expect(rocAuc(t, [0.1, 0.2])).rejects.toThrow(/disposed/);
    const cube = tf.zeros([2, 2, 2]);
    await expect(rocAuc([0, 1], cube)).rejects.toThrow(ShapeError);
    cube.dispose();
  });
});

describe('bad input gets a clear MedkitError', () => {
  it.each([
    ['a single class', () => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), /single class/],
    ['empty input', () => rocAuc([], []), /must not be empty/],
    ['lengths that differ', () => rocAuc([0, 1], [0.1, 0.2, 0.3]), /one value per sample/],
    ['NaN scores', () => rocAuc([0, 1], [Number.NaN, 0.2]), /finite numbers.*NaN/],
    ['infinite scores', () => averagePrecision([0, 1], [Infinity, 0.2]), /finite/],
    ['NaN labels', () => accuracy([0, Number.NaN], [0, 1]), /finite/],
    ['three classes for a binary metric', () => rocAuc([0, 1, 2], [0.1, 0.2, 0.3]), /two classes/],
    ['labels without a positive', () => rocAuc([2, 5], [0.1, 0.2]), /positiveLabel/],
    [
      'binary average with three classes',
      () => sensitivity([0, 1, 2], [0, 1, 2]),
      /'binary' needs two classes/,
    ],
    [
      'score columns ≠ classes',
      () =>
        rocAuc(
          [0, 1, 2],
          [
            [0.5, 0.5],
            [0.5, 0.5],
            [0.1, 0.9],
          ],
          { labels: [0, 1] },
        ),
      /not among `labels`/,
    ],
    [
      'too many score columns',
      () =>
        rocAuc(
          [0, 1, 1],
          [
            [0.2, 0.3, 0.5],
            [0.1, 0.1, 0.8],
            [0.3, 0.3, 0.4],
          ],
        ),
      /3 columns but there are 2 classes/,
    ],
    ['ragged rows', () => rocAuc([0, 1], [[0.5, 0.5], [1]] as number[][]), /rectangular/],
    ['strings', () => rocAuc([0, 1], ['a', 'b'] as unknown as number[]), /must hold numbers/],
    [
      'negative weights',
      () => rocAuc([0, 1], [0.1, 0.2], { sampleWeights: [1, -1] }),
      /non-negative/,
    ],
    ['all-zero weights', () => accuracy([0, 1], [0, 1], { sampleWeights: [0, 0] }), /all zero/],
    ['probabilities above 1', () => brierScore([0, 1], [0.1, 1.2]), /\[0, 1\]/],
    [
      'class index out of range for ECE',
      () =>
        expectedCalibrationError(
          [0, 3],
          [
            [0.5, 0.5],
            [0.2, 0.8],
          ],
        ),
      /class indices/,
    ],
    ['maxFpr of 0', () => rocAuc([0, 1], [0.1, 0.2], { maxFpr: 0 }), /maxFpr/],
    [
      'an unknown option',
      () => rocAuc([0, 1], [0.1, 0.2], { avrage: 'macro' } as never),
      /unknown option `avrage`/,
    ],
    ['repeated labels', () => confusionMatrix([0, 1], [0, 1], { labels: [0, 0] }), /repeat/],
    ['nBins of 0', () => calibrationCurve([0, 1], [0.1, 0.2], { nBins: 0 }), /nBins/],
    [
      'a metric that is not a function',
      () => bootstrapCi('auc' as never, [0, 1], [0.1, 0.2]),
      /metric/,
    ],
    [
      'confidence of 1',
      () => bootstrapCi(rocAuc, [0, 1], [0.1, 0.2], { confidence: 1 }),
      /confidence/,
    ],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });

  it('uses the error kinds: ShapeError for sizes, ArgumentError for values', () => {
    expect(() => rocAuc([0, 1], [0.1])).toThrow(ShapeError);
    expect(() => rocAuc([0, 0], [0.1, 0.2])).toThrow(ArgumentError);
  });
});
