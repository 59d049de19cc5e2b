import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, MedkitError, Random } from '../../src/index.js';

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/random-reference.json', import.meta.url), 'utf8'),
) as {
  streams: Record<string, number[]>;
};

describe('Random (xoshiro128**)', () => {
  it('matches the reference algorithm word for word', () => {
    for (const [seed, words] of Object.entries(reference.streams)) {
      const rng = new Random(Number(seed));
      expect(words.map(() => rng.nextUint32())).toEqual(words);
    }
    const big = new Random(2n ** 64n - 1n); // ≡ −1 mod 2^64
    expect(reference.streams['-1']!.map(() => big.nextUint32())).toEqual(reference.streams['-1']);
  });

  it('same seed, same numbers; different seeds differ', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const draw = (r: Random) => [r.nextFloat(), r.normal(), r.int(1000), r.uniform(-2, 2)];
    expect(draw(a)).toEqual(draw(b));
    expect(draw(new Random(7))).not.toEqual(draw(c));
  });

  it('floats are uniform in [0, 1), ints unbiased, normals standard', () => {
    const rng = new Random(1);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    const counts = new Array(7).fill(0);
    let nSum = 0;
    let nSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      counts[rng.int(7)]++;
      const z = rng.normal();
      nSum += z;
      nSq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005); // sd of the mean ≈ 0.00065
    expect(Math.abs(sumSq / n - 1 / 3)).toBeLessThan(0.005);
    // χ² with 6 degrees of freedom: 99.9% quantile 22.46
    const chi2 = counts.reduce((acc, c) => acc + (c - n / 7) ** 2 / (n / 7), 0);
    expect(chi2).toBeLessThan(22.46);
    expect(Math.abs(nSum / n)).toBeLessThan(0.01);
    expect(Math.abs(nSq / n - 1)).toBeLessThan(0.02);
  });

  it('shuffle and permutation are permutations, repeatable by seed', () => {
    const p = new Random(3).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(new Random(3).shuffle([...Array(50).keys()])).toEqual([...p]);
  });

  it('tfSeed never returns 0; fork gives an independent, repeatable stream', () => {
    const rng = new Random(5);
    for (let i = 0; i < 1000; i++) {
      const s = rng.tfSeed();
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s).toBeLessThan(2 ** 31);
    }
    const f1 = new Random(9).fork();
    const f2 = new Random(9).fork();
    expect(f1.nextUint32()).toBe(f2.nextUint32());
  });

  it('state round trip continues the stream exactly', () => {
    const rng = new Random(11);
    rng.normal(); // leaves a spare normal in the state
    const copy = Random.fromState(rng.getState());
    expect([copy.normal(), copy.nextUint32()]).toEqual([rng.normal(), rng.nextUint32()]);
  });

  it('rejects bad seeds, bounds and states with MedkitError', () => {
    expect(() => new Random(1.5)).toThrow(ArgumentError);
    expect(() => new Random(Number.NaN)).toThrow(/safe integer/);
    expect(() => new Random(2 ** 60)).toThrow(MedkitError);
    expect(() => new Random(1).int(0)).toThrow(/\[1, 2\^32\]/);
    expect(() => Random.fromState([0, 0, 0, 0, Number.NaN])).toThrow(/getState/);
  });
});
