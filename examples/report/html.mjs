/**
 * The demo's report: one self-contained HTML file (every picture inlined as PNG or SVG data, no
 * script, no request), with each number the run computed marked `data-value="key"` so that a
 * check can compare what the page shows with what the run wrote beside it (report.json).
 */
import { Buffer } from 'node:buffer';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encode } from 'fast-png';
import { esc } from './charts.mjs';

/**
 * A PNG data URL of grey ([h, w] or [h, w, 1]) or RGB(A) pixels: `values` in [0, 1] unless
 * `bytes` (then 0–255).
 */
export function pngDataUrl({ width, height, channels, values, bytes = false }) {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++)
    data[i] = bytes ? values[i] : Math.round(255 * Math.min(1, Math.max(0, values[i])));
  const png = encode({ width, height, data, channels, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** An `<img>` of a PNG data URL, drawn `size` px wide with its pixels kept sharp. */
export function img(url, { alt, size = 160 }) {
  return `<img src="${url}" alt="${esc(alt)}" width="${size}" style="image-rendering: pixelated">`;
}

/** Min–max scales a tensor's values to [0, 1] (for display). */
export async function displayValues(t) {
  const v = await t.data();
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return Float32Array.from(v, (x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}

/** A figure: a picture (HTML) with its caption. */
export const figure = (picture, caption) =>
  `<figure>${picture}<figcaption>${caption}</figcaption></figure>`;

/**
 * Collects the numbers shown: `show(key, value, digits)` returns the formatted value in a span
 * marked with its key, and keeps the value for report.json.
 */
export function numbers() {
  const values = {};
  const show = (key, value, digits = 3) => {
    values[key] = value;
    const text =
      typeof value === 'number'
        ? Number.isInteger(value) && digits === 0
          ? String(value)
          : value.toFixed(digits)
        : String(value);
    return `<span data-value="${esc(key)}" data-digits="${digits}">${esc(text)}</span>`;
  };
  return { show, values };
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 20px 40px; color: #222; }
h1 { margin-top: 24px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
.note { background: #fff7e0; border-left: 4px solid #e0a000; padding: 8px 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: 12px; color: #555; max-width: 420px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
.molecule svg { width: 150px; height: 150px; }
.molecule figcaption { max-width: 150px; overflow-wrap: anywhere; }
`;

/**
 * Writes the report to `path`: `sections` are { id, title, html }; the numbers beside it as JSON
 * (report.json in the same folder).
 */
export async function writeReport(path, { title, intro, sections, values }) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${esc(title)}</h1>${intro}
<nav><ul>${sections.map((s) => `<li><a href="#${s.id}">${esc(s.title)}</a></li>`).join('')}</ul></nav>
${sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.html}</section>`).join('\n')}
</body></html>
`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  await writeFile(path.replace(/\.html$/, '.json'), `${JSON.stringify(values, null, 1)}\n`);
}
