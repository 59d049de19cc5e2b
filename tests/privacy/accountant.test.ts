/**
 * The DP accountant against a transcription of the published formulas in numpy/scipy
 * (scripts/fixtures/dp_rdp.py): Opacus's documented case (ε ≈ 0.336 at order 23), RDP at integer
 * and fractional orders, ε over a grid of q, σ, steps and δ to 1e-6 relative; the special cases
 * (q = 1, σ = 0, composition), noise calibration by bisection, and bad input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/core/index.js';
import {
  DEFAULT_ORDERS,
  dpEpsilon,
  noiseMultiplierFor,
  rdpSampledGaussian,
} from '../../src/privacy/index.js';

interface Fixture {
  documented: {
    mechanisms: [number, number, number][];
    delta: number;
    orders: number[];
    epsilon: number;
    order: number;
  };
  cases: {
    sampleRate: number;
    noiseMultiplier: number;
    steps: number;
    delta: number;
    epsilon: number;
    order: number;
  }[];
  rdp: { sampleRate: number; noiseMultiplier: number; order: number; rdp: number }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/dp-rdp.json', import.meta.url), 'utf8'),
) as Fixture;

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe('dpEpsilon', () => {
  it("reproduces Opacus's documented case: ε ≈ 0.336 at order 23", () => {
    const d = fixture.documented;
    const r = dpEpsilon({
      mechanisms: d.mechanisms.map(([sampleRate, noiseMultiplier, steps]) => ({
        sampleRate,
        noiseMultiplier,
        steps,
      })),
      delta: d.delta,
      orders: d.orders,
    });
    expect(r.order).toBe(23);
    expect(r.epsilon).toBeCloseTo(0.336, 3);
    expect(rel(r.epsilon, d.epsilon)).toBeLessThan(1e-6);
  });

  it('RDP at integer and fractional orders equals the reference to 1e-6', () => {
    let worst = 0;
    for (const c of fixture.rdp) {
      worst = Math.max(
        worst,
        rel(rdpSampledGaussian(c.sampleRate, c.noiseMultiplier, c.order), c.rdp),
      );
    }
    expect(fixture.rdp.length).toBeGreaterThan(90);
    expect(worst).toBeLessThan(1e-6);
  });

  it('ε over a grid of q, σ, steps and δ equals the reference to 1e-6 relative', () => {
    let worst = 0;
    for (const c of fixture.cases) {
      const r = dpEpsilon({
        sampleRate: c.sampleRate,
        noiseMultiplier: c.noiseMultiplier,
        steps: c.steps,
        delta: c.delta,
      });
      worst = Math.max(worst, rel(r.epsilon, c.epsilon));
      expect(r.order).toBe(c.order);
    }
    expect(fixture.cases).toHaveLength(180);
    expect(worst).toBeLessThan(1e-6);
  });

  it('special cases: no sampling, no noise, composition, the default orders', () => {
    expect(rdpSampledGaussian(1, 2, 3)).toBe(3 / 8);
    expect(rdpSampledGaussian(0, 1, 3)).toBe(0);
    expect(
      dpEpsilon({ sampleRate: 0.01, noiseMultiplier: 0, steps: 10, delta: 1e-5 }).epsilon,
    ).toBe(Number.POSITIVE_INFINITY);
    const one = { sampleRate: 0.01, noiseMultiplier: 1.1, steps: 200 };
    const twice = dpEpsilon({ mechanisms: [one, one], delta: 1e-5 });
    const doubled = dpEpsilon({ ...one, steps: 400, delta: 1e-5 });
    expect(twice.epsilon).toBeCloseTo(doubled.epsilon, 12);
    expect(DEFAULT_ORDERS).toHaveLength(151);
    expect(DEFAULT_ORDERS[0]).toBeCloseTo(1.1, 12);
    expect(DEFAULT_ORDERS.at(-1)).toBe(63);
  });

  it('refuses bad input', () => {
    expect(() => dpEpsilon({ sampleRate: 2, noiseMultiplier: 1, steps: 1, delta: 1e-5 })).toThrow(
      /`sampleRate` must be a number in \[0, 1\]/,
    );
    expect(() =>
      dpEpsilon({ sampleRate: 0.1, noiseMultiplier: -1, steps: 1, delta: 1e-5 }),
    ).toThrow(/noiseMultiplier/);
    expect(() =>
      dpEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1.5, delta: 1e-5 }),
    ).toThrow(/steps/);
    expect(() => dpEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1, delta: 1 })).toThrow(
      /delta/,
    );
    expect(() => dpEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 1 } as never)).toThrow(
      /`delta` is required/,
    );
    expect(() =>
      dpEpsilon({ delta: 1e-5, orders: [1], sampleRate: 0.1, noiseMultiplier: 1, steps: 1 }),
    ).toThrow(/orders/);
    expect(() =>
      dpEpsilon({
        sampleRate: 0.1,
        noiseMultiplier: 1,
        steps: 1,
        delta: 1e-5,
        mechanisms: [{ sampleRate: 0.1, noiseMultiplier: 1, steps: 1 }],
      }),
    ).toThrow(/not both/);
    expect(() =>
      dpEpsilon({ delta: 1e-5, mechanisms: [{ sampleRate: 0.1, noiseMultiplier: 1, steps: -1 }] }),
    ).toThrow(/mechanisms\[0\]\.steps/);
  });
});

describe('noiseMultiplierFor', () => {
  it('finds the smallest σ (to 1e-4) that keeps ε at or under the target', () => {
    const base = { sampleRate: 0.01, steps: 1000, delta: 1e-5 };
    for (const target of [1, 3, 8]) {
      const sigma = noiseMultiplierFor({ ...base, targetEpsilon: target });
      expect(dpEpsilon({ ...base, noiseMultiplier: sigma }).epsilon).toBeLessThanOrEqual(target);
      expect(dpEpsilon({ ...base, noiseMultiplier: sigma - 2e-4 }).epsilon).toBeGreaterThan(target);
    }
  });

  it('refuses a target no σ up to 1,000 reaches, and bad options', () => {
    expect(() =>
      noiseMultiplierFor({ sampleRate: 1, steps: 1e6, targetEpsilon: 1e-6, delta: 1e-5 }),
    ).toThrow(ArgumentError);
    expect(() =>
      noiseMultiplierFor({ sampleRate: 0.1, steps: 10, targetEpsilon: 0, delta: 1e-5 }),
    ).toThrow(/targetEpsilon/);
  });
});
