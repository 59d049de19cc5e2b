import { describe, expect, it } from 'vitest';
import { ProgressClock } from '../../src/index.js';

describe('ProgressClock', () => {
  it('counts steps across epochs and estimates the time left from the mean step time', () => {
    let now = 1000;
    const clock = new ProgressClock('train', 4, 10, () => now);
    expect(clock.event('start', { epoch: 0, step: 0 })).toMatchObject({
      completedSteps: 0,
      totalSteps: 40,
      elapsedMs: 0,
    });
    expect(clock.event('start', { epoch: 0, step: 0 }).etaMs).toBeUndefined();
    now = 1500;
    const e = clock.event('stepEnd', { epoch: 2, step: 5, loss: 0.3, metrics: { acc: 0.9 } });
    expect(e).toMatchObject({
      type: 'stepEnd',
      label: 'train',
      epoch: 2,
      epochs: 4,
      step: 5,
      stepsPerEpoch: 10,
    });
    expect(e.completedSteps).toBe(15);
    expect(e.elapsedMs).toBe(500);
    expect(e.etaMs).toBeCloseTo((500 / 15) * 25);
    expect(e.loss).toBe(0.3);
    expect(e.metrics).toEqual({ acc: 0.9 });
  });
});
