/**
 * Manhattan and QQ data and their SVG renderings: genome layout in natural chromosome order,
 * expected quantiles, λ_GC against its definition (and ≈ 1 under the null), well-formed SVG.
 */
import { describe, expect, it } from 'vitest';
import { chiSquareSf, MedkitError, Random } from '../../src/core/index.js';
import { manhattanData, manhattanSvg, qqData, qqSvg } from '../../src/genomics/index.js';

describe('manhattanData', () => {
  it('lays chromosomes end to end in natural order; −log10 p on y', () => {
    const variants = [
      { chrom: 'chr10', pos: 500 },
      { chrom: 'chr2', pos: 100 },
      { chrom: 'chrX', pos: 50 },
      { chrom: 'chr2', pos: 300 },
      { chrom: 'chr1', pos: 10 },
    ];
    const d = manhattanData([0.5, 1e-10, 0.01, Number.NaN, 1], variants);
    expect(d.chromosomes.map((c) => c.name)).toEqual(['chr1', 'chr2', 'chr10', 'chrX']);
    expect(Array.from(d.variant)).toEqual([0, 1, 2, 4]);
    expect(Array.from(d.chromosome)).toEqual([2, 1, 3, 0]);
    expect(Array.from(d.pos)).toEqual([500, 100, 50, 10]);
    const at = (variant: number) => d.variant.indexOf(variant);
    expect(d.y[at(1)]).toBeCloseTo(10, 12);
    expect(d.x[at(4)]).toBeLessThan(d.x[at(1)]!);
    expect(d.x[at(1)]).toBeLessThan(d.x[at(0)]!);
    expect(d.x[at(0)]).toBeLessThan(d.x[at(2)]!);
    expect(() => manhattanData([0.5], variants)).toThrow(/one p-value per variant/);
  });
});

describe('qqData', () => {
  it('λ_GC is the median χ²₁ over 0.4549; ≈ 1 for uniform p-values', () => {
    const rng = new Random(4);
    const p = Array.from({ length: 20001 }, () => rng.uniform(1e-12, 1));
    const q = qqData(p);
    expect(q.lambda).toBeGreaterThan(0.95);
    expect(q.lambda).toBeLessThan(1.05);
    // the definition: the χ²₁ statistic x with P(χ²₁ ≥ x) = median p
    const median = [...p].sort((a, b) => a - b)[10000]!;
    const x = q.lambda * 0.4549364231195724;
    expect(chiSquareSf(x, 1)).toBeCloseTo(median, 10);
    expect(q.expected[0]).toBeCloseTo(-Math.log10(0.5 / 20001), 12);
    expect(q.observed[0]).toBeGreaterThanOrEqual(q.observed[1]!);
    // inflated statistics give λ > 1
    expect(qqData(p.map((v) => v / 3)).lambda).toBeGreaterThan(1.5);
    expect(() => qqData([])).toThrow(MedkitError);
    expect(() => qqData([0])).toThrow(/\(0, 1\]/);
    // a Float64Array in any order gives the same
    const shuffled = Float64Array.from(rng.shuffle([...p]));
    expect(qqData(shuffled).lambda).toBe(q.lambda);
  });
});

describe('SVG', () => {
  it('renders both plots as SVG documents with a point per value', () => {
    const variants = Array.from({ length: 30 }, (_, i) => ({
      chrom: String(1 + (i % 3)),
      pos: 1000 + i * 10,
    }));
    const p = variants.map((_, i) => (i === 7 ? 1e-9 : (i + 1) / 31));
    const m = manhattanSvg(manhattanData(p, variants), { title: 'scan <test>' });
    expect(m.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(m.trim().endsWith('</svg>')).toBe(true);
    expect(m.match(/<circle /g)).toHaveLength(30);
    expect(m).toContain('scan &lt;test&gt;');
    expect(m).toContain('stroke-dasharray'); // the significance line
    const q = qqSvg(qqData(p));
    expect(q.match(/<circle /g)).toHaveLength(30);
    expect(q).toMatch(/λ_GC = \d\.\d{3}/);
  });
});

describe('plots at genome scale', () => {
  it('10⁶ unsorted variants: a small SVG that keeps every significant point', () => {
    const n = 1_000_000;
    const rng = new Random(8);
    const variants = Array.from({ length: n }, () => ({
      chrom: `chr${1 + rng.int(22)}`,
      pos: 1 + rng.int(250_000_000),
    }));
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) p[i] = rng.uniform(1e-9, 1);
    const hits = [17, 250_000, 999_999];
    for (const [j, i] of hits.entries()) p[i] = 10 ** -(9 + j);
    const m = manhattanSvg(manhattanData(p, variants));
    const q = qqSvg(qqData(p));
    // thinned to what the resolution can show: far fewer circles than points, well under 20 MB
    const mCircles = m.match(/<circle /g)!.length;
    const qCircles = q.match(/<circle /g)!.length;
    expect(mCircles).toBeLessThan(n / 5);
    expect(qCircles).toBeLessThan(n / 50);
    expect(m.length + q.length).toBeLessThan(20e6);
    // every point beyond 5e-8 is drawn: three hits, and the uniform p-values below it
    const significant = Array.from(p).filter((v) => v < 5e-8).length;
    const data = manhattanData(p, variants);
    const beyond = (svg: string, yLine: number) =>
      [...svg.matchAll(/<circle cx="[^"]+" cy="([^"]+)"/g)].filter((c) => Number(c[1]) < yLine)
        .length;
    const yOf = (svg: string) =>
      Number(/<line x1="50" y1="([^"]+)" x2="890" y2="[^"]+" stroke="#c00000"/.exec(svg)![1]);
    expect(beyond(m, yOf(m))).toBeGreaterThanOrEqual(significant);
    expect(significant).toBeGreaterThanOrEqual(3);
    expect(data.y.length).toBe(n);
    expect(q.trim().endsWith('</svg>')).toBe(true);
  });
});
