import { describe, expect, it } from 'vitest';
import { learningRateAt, MedkitError } from '../../src/core/index.js';

const at = (epoch: number, step: number, totalSteps = 100, stepsPerEpoch = 10) => ({
  epoch,
  step,
  totalSteps,
  stepsPerEpoch,
});

describe('learningRateAt', () => {
  it('constant, step decay and cosine follow their formulas', () => {
    expect(learningRateAt('constant', 0.1, at(5, 42))).toBe(0.1);
    const step = { type: 'step' as const, everyEpochs: 3, gamma: 0.5 };
    expect(learningRateAt(step, 0.1, at(3, 20))).toBe(0.1);
    expect(learningRateAt(step, 0.1, at(4, 30))).toBe(0.05);
    expect(learningRateAt(step, 0.1, at(7, 60))).toBe(0.025);
    expect(learningRateAt('cosine', 1, at(1, 0))).toBe(1);
    expect(learningRateAt('cosine', 1, at(6, 50))).toBeCloseTo(0.5, 15);
    expect(learningRateAt({ type: 'cosine', minLearningRate: 0.1 }, 1, at(6, 50))).toBeCloseTo(
      0.55,
      15,
    );
    expect(learningRateAt('cosine', 1, at(1, 5, 0, 0))).toBe(1); // run length unknown: base rate
    expect(learningRateAt((base, p) => base / p.epoch, 1, at(4, 0))).toBe(0.25);
  });

  it('warms up linearly over the first steps, then follows the schedule', () => {
    const rates = [0, 1, 2, 3, 4].map((s) => learningRateAt('constant', 1, at(1, s), 4));
    expect(rates).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    // cosine starts after the warm-up
    expect(learningRateAt('cosine', 1, at(1, 4), 4)).toBe(1);
  });

  it.each([
    [() => learningRateAt('linear' as never, 1, at(1, 0)), /schedule must be/],
    [() => learningRateAt({ type: 'step', everyEpochs: 0 }, 1, at(1, 0)), /everyEpochs/],
    [() => learningRateAt(() => Number.NaN, 1, at(1, 0)), /finite number/],
  ])('bad schedule %# → MedkitError', (call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
