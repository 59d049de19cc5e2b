import { describe, expect, it } from 'vitest';
import { MedkitError, splitIndices } from '../../src/core/index.js';

const count = (labels: number[], idx: number[], c: number) =>
  idx.filter((i) => labels[i] === c).length;

describe('splitIndices', () => {
  it('stratifies: each class keeps its share on both sides, deterministically', () => {
    const labels = [...new Array(80).fill(0), ...new Array(20).fill(1)];
    const { train, test } = splitIndices(labels, { testSize: 0.25, seed: 3 });
    expect(count(labels, test, 0)).toBe(20);
    expect(count(labels, test, 1)).toBe(5);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(splitIndices(labels, { testSize: 0.25, seed: 3 })).toEqual({ train, test });
    expect(splitIndices(labels, { testSize: 0.25, seed: 4 }).test).not.toEqual(test);
  });

  it('holds out at least one sample of a rare class', () => {
    const labels = [...new Array(50).fill(0), 1, 1];
    expect(count(labels, splitIndices(labels, { testSize: 0.1 }).test, 1)).toBe(1);
  });

  it('groups: every patient on one side, class shares close to the target', () => {
    const labels: number[] = [];
    const groups: string[] = [];
    for (let p = 0; p < 40; p++) {
      const y = p % 4 === 0 ? 1 : 0;
      for (let s = 0; s < 1 + (p % 3); s++) {
        labels.push(y);
        groups.push(`patient-${p}`);
      }
    }
    const { train, test } = splitIndices(labels, { testSize: 0.25, groups, seed: 1 });
    const testGroups = new Set(test.map((i) => groups[i]));
    for (const i of train) expect(testGroups.has(groups[i]!)).toBe(false);
    const share = test.length / labels.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.35);
    expect(count(labels, test, 1)).toBeGreaterThan(0);
  });

  it.each([
    [() => splitIndices([0]), /at least 2 samples/],
    [() => splitIndices([0, 1], { testSize: 1 }), /testSize/],
    [() => splitIndices([0, Number.NaN]), /finite/],
    [() => splitIndices([0, 1, 1], { groups: ['a', 'b'] }), /one id per sample/],
    [() => splitIndices([0, 1], { groups: ['a', 'a'] }), /at least 2 groups/],
  ])('bad input %# → MedkitError', (call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
