/**
 * Data for the two standard plots of an association scan, and an SVG rendering of each:
 * the Manhattan plot (−log10 p along the genome, chromosomes side by side) and the QQ plot
 * (observed against expected −log10 p under the null, with the genomic inflation factor λ_GC).
 * SVG strings work in Node, Deno and browsers alike.
 *
 * @module
 */
import { normalTwoSidedZ } from '../core/distributions.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';

/**
 * The data of a Manhattan plot, one entry per variant with a p-value (NaN ones left out), in the
 * scan's order, as columns (a genome-wide scan has 10⁶–10⁷ variants).
 */
export interface ManhattanData {
  /** Each point's variant index in the scan. */
  variant: Int32Array;
  /** Each point's chromosome, as an index into `chromosomes`. */
  chromosome: Int32Array;
  /** Each point's position on its chromosome. */
  pos: Float64Array;
  /** Each point's cumulative genome coordinate (chromosomes laid end to end). */
  x: Float64Array;
  /** Each point's −log10 p. */
  y: Float64Array;
  /** Each chromosome's span on the x axis, in plotting order. */
  chromosomes: ChromosomeSpan[];
}

/** Where a chromosome lies on the Manhattan plot's x axis. */
export interface ChromosomeSpan {
  /** The chromosome's name. */
  name: string;
  /** Its first x coordinate. */
  start: number;
  /** Its last x coordinate. */
  end: number;
}

/** The data of a QQ plot. */
export interface QqData {
  /** Expected −log10 p under the null, descending. */
  expected: Float64Array;
  /** Observed −log10 p, descending. */
  observed: Float64Array;
  /** The genomic inflation factor: median χ²₁ statistic ÷ 0.4549 (1 under the null). */
  lambda: number;
}

/** Natural chromosome order: 1 … 22, X, Y, XY, M/MT, then the rest alphabetically. */
function chromRank(name: string): [number, string] {
  const bare = name.replace(/^chr/i, '');
  if (/^\d+$/.test(bare)) return [Number(bare), ''];
  const named: Record<string, number> = { X: 1000, Y: 1001, XY: 1002, M: 1003, MT: 1003 };
  return [named[bare.toUpperCase()] ?? 2000, bare];
}

/**
 * Lays the scan's p-values out along the genome, in one pass over the variants (any order; 10⁷
 * of them fit in memory as columns).
 *
 * @param p - one p-value per variant (NaN ones are left out): an array or a Float64Array.
 * @param variants - each variant's `{ chrom, pos }` (as `readVcf` returns).
 * @returns the points as columns, and the chromosomes' spans.
 * @throws {@link ShapeError} when the lengths differ; {@link ArgumentError} for a p-value
 *   outside [0, 1].
 * @example
 * ```ts
 * const data = manhattanData(results.map((r) => r.p), variants);
 * data.y[0]; // −log10 p of the first plotted variant
 * ```
 */
export function manhattanData(
  p: ArrayLike<number>,
  variants: readonly { chrom: string; pos: number }[],
): ManhattanData {
  if (p.length !== variants.length) {
    throw new ShapeError(
      `manhattanData: one p-value per variant is needed (${variants.length}). Received: ${p.length}.`,
    );
  }
  const n = p.length;
  const byChrom = new Map<string, { min: number; max: number }>();
  let count = 0;
  for (let i = 0; i < n; i++) {
    const value = p[i]!;
    if (Number.isNaN(value)) continue;
    if (!(value >= 0 && value <= 1))
      throw new ArgumentError(
        `manhattanData: p-values must be in [0, 1]. Received: ${value} at ${i}.`,
      );
    count++;
    const v = variants[i]!;
    const span = byChrom.get(v.chrom);
    if (span) {
      if (v.pos < span.min) span.min = v.pos;
      if (v.pos > span.max) span.max = v.pos;
    } else byChrom.set(v.chrom, { min: v.pos, max: v.pos });
  }
  const names = [...byChrom.keys()].sort((a, b) => {
    const [ra, sa] = chromRank(a);
    const [rb, sb] = chromRank(b);
    return ra - rb || sa.localeCompare(sb);
  });
  const index = new Map<string, number>();
  const offsets = new Float64Array(names.length);
  const chromosomes: ChromosomeSpan[] = [];
  let cursor = 0;
  names.forEach((name, c) => {
    const span = byChrom.get(name)!;
    index.set(name, c);
    offsets[c] = cursor - span.min;
    chromosomes.push({ name, start: cursor, end: cursor + span.max - span.min });
    cursor += span.max - span.min + 1 + Math.max(1, Math.round((span.max - span.min) * 0.02));
  });
  const data: ManhattanData = {
    variant: new Int32Array(count),
    chromosome: new Int32Array(count),
    pos: new Float64Array(count),
    x: new Float64Array(count),
    y: new Float64Array(count),
    chromosomes,
  };
  let k = 0;
  for (let i = 0; i < n; i++) {
    const value = p[i]!;
    if (Number.isNaN(value)) continue;
    const v = variants[i]!;
    const c = index.get(v.chrom)!;
    data.variant[k] = i;
    data.chromosome[k] = c;
    data.pos[k] = v.pos;
    data.x[k] = offsets[c]! + v.pos;
    data.y[k] = -Math.log10(Math.max(value, 1e-320));
    k++;
  }
  return data;
}

/**
 * Observed against expected −log10 p, and λ_GC = median(χ²₁) / 0.454936 with χ²₁ the statistic
 * whose p-value each p is.
 *
 * @param p - the p-values (NaN ones are left out), any order: an array or a Float64Array.
 * @returns the QQ data.
 * @throws {@link ArgumentError} for no p-value, or values outside (0, 1].
 * @example
 * ```ts
 * const { lambda } = qqData(results.map((r) => r.p)); // ≈ 1 when nothing is inflated
 * ```
 */
export function qqData(p: ArrayLike<number>): QqData {
  let count = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (Number.isNaN(v)) continue;
    if (!(v > 0 && v <= 1))
      throw new ArgumentError(`qqData: p-values must be in (0, 1]. Received: ${v} at ${i}.`);
    count++;
  }
  if (count === 0) throw new ArgumentError('qqData: needs at least one p-value.');
  const sorted = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < p.length; i++) if (!Number.isNaN(p[i]!)) sorted[k++] = p[i]!;
  sorted.sort(); // numeric, ascending
  const n = count;
  const observed = new Float64Array(n);
  const expected = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    observed[i] = -Math.log10(sorted[i]!);
    expected[i] = -Math.log10((i + 0.5) / n);
  }
  const mid = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const z = normalTwoSidedZ(mid);
  return { expected, observed, lambda: (z * z) / 0.4549364231195724 };
}

/** Options of the SVG renderers. */
export interface PlotOptions {
  /** Width in pixels. Defaults to 900 (Manhattan) or 420 (QQ). */
  width?: number;
  /** Height in pixels. Defaults to 360 (Manhattan) or 420 (QQ). */
  height?: number;
  /** A title above the plot. */
  title?: string;
  /**
   * The genome-wide significance line, as a p-value: drawn on the Manhattan plot, and on both
   * plots the points at or beyond it are always drawn, never thinned. Defaults to 5e-8.
   */
  threshold?: number;
}

/** The largest value of a column (0 when empty), without spreading it into arguments. */
function maxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

/**
 * The indices of the points worth drawing, in order: a point whose centre would land on the same
 * pixel as one already drawn is left out (two dots of radius 2 whose centres are under a pixel
 * apart cannot be told apart), unless `always(i)`.
 */
function thin(
  n: number,
  px: (i: number) => number,
  py: (i: number) => number,
  always: (i: number) => boolean,
  width: number,
  height: number,
): Int32Array {
  const gw = Math.ceil(width) + 1;
  const gh = Math.ceil(height) + 1;
  const taken = new Uint8Array(gw * gh);
  const kept = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const cx = Math.min(gw - 1, Math.max(0, Math.round(px(i))));
    const cy = Math.min(gh - 1, Math.max(0, Math.round(py(i))));
    const cell = cy * gw + cx;
    if (always(i) || taken[cell] === 0) {
      taken[cell] = 1;
      kept[k++] = i;
    }
  }
  return kept.subarray(0, k);
}

/** The renderers' options, checked, with one plot's default size. */
function plotOptions(fn: string, options: PlotOptions | undefined, width: number, height: number) {
  return resolveOptions(fn, options, {
    width: { constraint: { kind: 'number', integer: true, min: 100 }, default: width },
    height: { constraint: { kind: 'number', integer: true, min: 100 }, default: height },
    title: { constraint: { kind: 'string' } },
    threshold: {
      constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
      default: 5e-8,
    },
  });
}

const esc = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

/** The opening of an SVG document: the root element, a white background, the title. */
function svgOpening(width: number, height: number, title: string | undefined): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (title)
    parts.push(
      `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    );
  return parts;
}

/**
 * Renders a Manhattan plot as an SVG document (alternating colours per chromosome, a dashed line
 * at the significance threshold). Points that would fall on the same half-pixel as one already
 * drawn are left out, so 10⁶ variants make an SVG of a few megabytes; every point at or beyond
 * the threshold is drawn.
 *
 * @example
 * ```ts
 * const svg = manhattanSvg(manhattanData(results.map((r) => r.p), variants));
 * ```
 */
export function manhattanSvg(data: ManhattanData, options?: PlotOptions): string {
  const o = plotOptions('manhattanSvg', options, 900, 360);
  const { width, height } = o;
  const m = { left: 50, right: 10, top: o.title ? 30 : 10, bottom: 40 };
  let xMax = 1;
  for (const c of data.chromosomes) if (c.end > xMax) xMax = c.end;
  const threshold = -Math.log10(o.threshold);
  const yMax = Math.max(threshold, maxOf(data.y)) * 1.05;
  const sx = (x: number) => m.left + (x / xMax) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - (y / yMax) * (height - m.top - m.bottom);
  const colour = (chromosome: number) => (chromosome % 2 === 0 ? '#1f4e79' : '#7fa7d1');
  const parts = svgOpening(width, height, o.title);
  parts.push(
    `<line x1="${m.left}" y1="${sy(0)}" x2="${width - m.right}" y2="${sy(0)}" stroke="black"/>`,
  );
  parts.push(`<line x1="${m.left}" y1="${sy(0)}" x2="${m.left}" y2="${m.top}" stroke="black"/>`);
  for (let t = 0; t <= yMax; t += Math.max(1, Math.ceil(yMax / 8))) {
    parts.push(`<text x="${m.left - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  parts.push(
    `<text transform="translate(14 ${fmt((height - m.bottom + m.top) / 2)}) rotate(-90)" text-anchor="middle">−log10 p</text>`,
  );
  for (const c of data.chromosomes) {
    parts.push(
      `<text x="${fmt(sx((c.start + c.end) / 2))}" y="${height - m.bottom + 16}" text-anchor="middle">${esc(c.name.replace(/^chr/i, ''))}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" y1="${fmt(sy(threshold))}" x2="${width - m.right}" y2="${fmt(sy(threshold))}" stroke="#c00000" stroke-dasharray="4 3"/>`,
  );
  const { x, y, chromosome } = data;
  const drawn = thin(
    y.length,
    (i) => sx(x[i]!),
    (i) => sy(y[i]!),
    (i) => y[i]! >= threshold,
    width,
    height,
  );
  // one group per colour, so each dot is only its centre
  for (const parity of [0, 1]) {
    parts.push(`<g fill="${colour(parity)}">`);
    for (const i of drawn) {
      if (chromosome[i]! % 2 === parity)
        parts.push(`<circle cx="${fmt(sx(x[i]!))}" cy="${fmt(sy(y[i]!))}" r="2"/>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Renders a QQ plot as an SVG document (the identity line, the points, and λ_GC), thinned as
 * {@link manhattanSvg} thins: every point at or beyond the threshold is drawn.
 *
 * @example
 * ```ts
 * const svg = qqSvg(qqData(results.map((r) => r.p)), { title: 'scan' });
 * ```
 */
export function qqSvg(data: QqData, options?: PlotOptions): string {
  const o = plotOptions('qqSvg', options, 420, 420);
  const { width, height } = o;
  const m = { left: 50, right: 10, top: o.title ? 30 : 10, bottom: 40 };
  const max = Math.max(1, maxOf(data.expected), maxOf(data.observed)) * 1.05;
  const threshold = -Math.log10(o.threshold);
  const sx = (x: number) => m.left + (x / max) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - (y / max) * (height - m.top - m.bottom);
  const parts = svgOpening(width, height, o.title);
  parts.push(
    `<line x1="${sx(0)}" y1="${sy(0)}" x2="${fmt(sx(max))}" y2="${fmt(sy(max))}" stroke="#c00000"/>`,
  );
  parts.push(
    `<line x1="${m.left}" y1="${sy(0)}" x2="${width - m.right}" y2="${sy(0)}" stroke="black"/>`,
  );
  parts.push(`<line x1="${m.left}" y1="${sy(0)}" x2="${m.left}" y2="${m.top}" stroke="black"/>`);
  parts.push(
    `<text x="${(width + m.left) / 2}" y="${height - 8}" text-anchor="middle">expected −log10 p</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${fmt((height - m.bottom + m.top) / 2)}) rotate(-90)" text-anchor="middle">observed −log10 p</text>`,
  );
  parts.push(`<text x="${m.left + 8}" y="${m.top + 14}">λ_GC = ${data.lambda.toFixed(3)}</text>`);
  const { expected, observed } = data;
  const drawn = thin(
    expected.length,
    (i) => sx(expected[i]!),
    (i) => sy(observed[i]!),
    (i) => observed[i]! >= threshold,
    width,
    height,
  );
  parts.push('<g fill="#1f4e79">');
  for (const i of drawn) {
    parts.push(`<circle cx="${fmt(sx(expected[i]!))}" cy="${fmt(sy(observed[i]!))}" r="2"/>`);
  }
  parts.push('</g>');
  parts.push('</svg>');
  return parts.join('\n');
}
