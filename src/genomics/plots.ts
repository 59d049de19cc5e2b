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

/** One point of a Manhattan plot. */
export interface ManhattanPoint {
  /** The variant's index in the scan. */
  variant: number;
  /** Its chromosome. */
  chrom: string;
  /** Its position. */
  pos: number;
  /** The cumulative genome coordinate (chromosomes laid end to end). */
  x: number;
  /** −log10 p. */
  y: number;
}

/** The data of a Manhattan plot. */
export interface ManhattanData {
  /** One point per variant with a p-value. */
  points: ManhattanPoint[];
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
  expected: number[];
  /** Observed −log10 p, descending. */
  observed: number[];
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
 * Lays the scan's p-values out along the genome.
 *
 * @param p - one p-value per variant (NaN ones are left out).
 * @param variants - each variant's `{ chrom, pos }` (as `readVcf` returns).
 * @returns the points and the chromosomes' spans.
 * @throws {@link ShapeError} when the lengths differ.
 */
export function manhattanData(
  p: readonly number[],
  variants: readonly { chrom: string; pos: number }[],
): ManhattanData {
  if (p.length !== variants.length) {
    throw new ShapeError(
      `manhattanData: one p-value per variant is needed (${variants.length}). Received: ${p.length}.`,
    );
  }
  const byChrom = new Map<string, { min: number; max: number }>();
  for (const v of variants) {
    const span = byChrom.get(v.chrom);
    if (span) {
      span.min = Math.min(span.min, v.pos);
      span.max = Math.max(span.max, v.pos);
    } else byChrom.set(v.chrom, { min: v.pos, max: v.pos });
  }
  const names = [...byChrom.keys()].sort((a, b) => {
    const [ra, sa] = chromRank(a);
    const [rb, sb] = chromRank(b);
    return ra - rb || sa.localeCompare(sb);
  });
  const offset = new Map<string, number>();
  const chromosomes: ChromosomeSpan[] = [];
  let cursor = 0;
  for (const name of names) {
    const span = byChrom.get(name)!;
    offset.set(name, cursor - span.min);
    chromosomes.push({ name, start: cursor, end: cursor + span.max - span.min });
    cursor += span.max - span.min + 1 + Math.max(1, Math.round((span.max - span.min) * 0.02));
  }
  const points: ManhattanPoint[] = [];
  p.forEach((value, i) => {
    if (Number.isNaN(value)) return;
    if (!(value >= 0 && value <= 1))
      throw new ArgumentError(
        `manhattanData: p-values must be in [0, 1]. Received: ${value} at ${i}.`,
      );
    const v = variants[i]!;
    points.push({
      variant: i,
      chrom: v.chrom,
      pos: v.pos,
      x: offset.get(v.chrom)! + v.pos,
      y: -Math.log10(Math.max(value, 1e-320)),
    });
  });
  return { points, chromosomes };
}

/**
 * Observed against expected −log10 p, and λ_GC = median(χ²₁) / 0.454936 with χ²₁ the statistic
 * whose p-value each p is.
 *
 * @param p - the p-values (NaN ones are left out).
 * @returns the QQ data.
 * @throws {@link ArgumentError} for no p-value, or values outside (0, 1].
 */
export function qqData(p: readonly number[]): QqData {
  const values = p.filter((v) => !Number.isNaN(v));
  if (values.length === 0) throw new ArgumentError('qqData: needs at least one p-value.');
  for (const v of values)
    if (!(v > 0 && v <= 1))
      throw new ArgumentError(`qqData: p-values must be in (0, 1]. Received: ${v}.`);
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const observed = sorted.map((v) => -Math.log10(v));
  const expected = sorted.map((_, i) => -Math.log10((i + 0.5) / n));
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
  /** Manhattan: the genome-wide significance line, as a p-value. Defaults to 5e-8. */
  threshold?: number;
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
 * at the significance threshold).
 *
 * @example
 * ```ts
 * const svg = manhattanSvg(manhattanData(results.map((r) => r.p), variants));
 * ```
 */
export function manhattanSvg(data: ManhattanData, options: PlotOptions = {}): string {
  const width = options.width ?? 900;
  const height = options.height ?? 360;
  const m = { left: 50, right: 10, top: options.title ? 30 : 10, bottom: 40 };
  const xMax = Math.max(1, ...data.chromosomes.map((c) => c.end));
  const threshold = -Math.log10(options.threshold ?? 5e-8);
  const yMax = Math.max(threshold, ...data.points.map((pt) => pt.y)) * 1.05;
  const sx = (x: number) => m.left + (x / xMax) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - (y / yMax) * (height - m.top - m.bottom);
  const colour = new Map(
    data.chromosomes.map((c, i) => [c.name, i % 2 === 0 ? '#1f4e79' : '#7fa7d1']),
  );
  const parts = svgOpening(width, height, options.title);
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
  for (const pt of data.points) {
    parts.push(
      `<circle cx="${fmt(sx(pt.x))}" cy="${fmt(sy(pt.y))}" r="2" fill="${colour.get(pt.chrom)}"/>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Renders a QQ plot as an SVG document (the identity line, the points, and λ_GC).
 *
 * @example
 * ```ts
 * const svg = qqSvg(qqData(results.map((r) => r.p)), { title: 'scan' });
 * ```
 */
export function qqSvg(data: QqData, options: PlotOptions = {}): string {
  const width = options.width ?? 420;
  const height = options.height ?? 420;
  const m = { left: 50, right: 10, top: options.title ? 30 : 10, bottom: 40 };
  const max = Math.max(1, ...data.expected, ...data.observed) * 1.05;
  const sx = (x: number) => m.left + (x / max) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - (y / max) * (height - m.top - m.bottom);
  const parts = svgOpening(width, height, options.title);
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
  data.expected.forEach((e, i) => {
    parts.push(
      `<circle cx="${fmt(sx(e))}" cy="${fmt(sy(data.observed[i]!))}" r="2" fill="#1f4e79"/>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
