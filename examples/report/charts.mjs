/**
 * The report's charts as SVG strings (no dependency, no script): line charts, ROC curves, a
 * reliability diagram, bar charts, overlaid histograms and a confusion matrix. Every chart has
 * a title, labelled axes and a legend where it has more than one series.
 */

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 420;
const H = 300;
const M = { left: 56, right: 16, top: 30, bottom: 44 };

/** Escapes text for SVG and HTML. */
export const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

/** A few round tick values covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}
const fmt = (v) =>
  Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01)
    ? v.toExponential(1)
    : String(Number(v.toPrecision(3)));

/** The frame of an x–y chart: axes, ticks, labels, title; returns the scales and the SVG parts. */
function frame({ title, xLabel, yLabel, x: [x0, x1], y: [y0, y1] }) {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v) => M.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v) => M.top + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const parts = [
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#999"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(yLabel)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<line x1="${sx(t)}" x2="${sx(t)}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#666"/>`,
      `<text x="${sx(t)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="10">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${M.left - 4}" x2="${M.left}" y1="${sy(t)}" y2="${sy(t)}" stroke="#666"/>`,
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${sy(t) + 3}" text-anchor="end" font-size="10">${fmt(t)}</text>`,
    );
  }
  /** An SVG path through the points (xs[i], ys[i]), in data units. */
  const path = (xs, ys) =>
    Array.from(xs, (x, i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(
      '',
    );
  /** The dashed diagonal from (0, 0) to (1, 1): chance, or perfect calibration. */
  const diagonal = `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#aaa" stroke-dasharray="4 3"/>`;
  return { sx, sy, parts, path, diagonal };
}

function legend(names, dashed = []) {
  return names
    .map(
      (n, i) =>
        `<line x1="${M.left + 8}" x2="${M.left + 26}" y1="${M.top + 12 + i * 14}" y2="${M.top + 12 + i * 14}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"${dashed[i] ? ' stroke-dasharray="4 3"' : ''}/>` +
        `<text x="${M.left + 30}" y="${M.top + 15 + i * 14}" font-size="10">${esc(n)}</text>`,
    )
    .join('');
}

const svg = (body, label) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(label)}">${body}</svg>`;

const extent = (values, pad = 0) => {
  // a loop, not Math.min(...values): a sample of molecules can be longer than the call stack allows
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const d = (hi - lo) * pad || (hi === lo ? Math.abs(hi) * 0.1 || 1 : 0);
  return [lo - d, hi + d];
};

/**
 * Lines over a shared x: `series` is [{ name, y: number[], x?: number[], dashed? }].
 */
export function lineChart({ title, xLabel, yLabel, series, yRange }) {
  const xs = series.flatMap((s) => s.x ?? s.y.map((_, i) => i + 1));
  const ys = series.flatMap((s) => s.y);
  const { parts, path } = frame({
    title,
    xLabel,
    yLabel,
    x: extent(xs),
    y: yRange ?? extent(ys, 0.05),
  });
  series.forEach((s, k) => {
    const d = path(s.x ?? s.y.map((_, i) => i + 1), s.y);
    parts.push(
      `<path d="${d}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
  });
  if (series.length > 1)
    parts.push(
      legend(
        series.map((s) => s.name),
        series.map((s) => s.dashed),
      ),
    );
  return svg(parts.join(''), title);
}

/** ROC curves: `curves` is [{ name, fpr, tpr }] (the name carries the AUC); the chance line dashed. */
export function rocChart({ title, curves }) {
  const { parts, path, diagonal } = frame({
    title,
    xLabel: '1 − specificity (false-positive rate)',
    yLabel: 'sensitivity (true-positive rate)',
    x: [0, 1],
    y: [0, 1],
  });
  parts.push(diagonal);
  curves.forEach((c, k) => {
    const d = path(c.fpr, c.tpr);
    parts.push(
      `<path d="${d}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="2"/>`,
    );
  });
  // legend at the bottom right, away from the curves
  curves.forEach((c, i) => {
    const y = H - M.bottom - 12 - (curves.length - 1 - i) * 14;
    parts.push(
      `<line x1="${W - 200}" x2="${W - 182}" y1="${y - 3}" y2="${y - 3}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"/>`,
      `<text x="${W - 178}" y="${y}" font-size="10">${esc(c.name)}</text>`,
    );
  });
  return svg(parts.join(''), title);
}

/** Reliability diagram: mean predicted probability against observed frequency, per bin. */
export function reliabilityChart({ title, predicted, observed, counts }) {
  const { sx, sy, parts, path, diagonal } = frame({
    title,
    xLabel: 'mean predicted probability',
    yLabel: 'observed frequency of lesions',
    x: [0, 1],
    y: [0, 1],
  });
  parts.push(diagonal);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const pts = [];
  predicted.forEach((p, i) => {
    if (!Number.isFinite(p) || !Number.isFinite(observed[i]) || counts[i] === 0) return;
    pts.push([p, observed[i]]);
    const r = 3 + 9 * Math.sqrt(counts[i] / total);
    parts.push(
      `<circle cx="${sx(p).toFixed(1)}" cy="${sy(observed[i]).toFixed(1)}" r="${r.toFixed(1)}" fill="${COLOURS[0]}" fill-opacity="0.6"/>`,
    );
  });
  if (pts.length > 1)
    parts.push(
      `<path d="${path(
        pts.map((q) => q[0]),
        pts.map((q) => q[1]),
      )}" fill="none" stroke="${COLOURS[0]}"/>`,
    );
  parts.push(
    `<text x="${M.left + 8}" y="${M.top + 14}" font-size="10">dot area ∝ cases in the bin; dashed: perfect calibration</text>`,
  );
  return svg(parts.join(''), title);
}

/** Horizontal bars with signed values (coefficients, contributions): [{ name, value }]. */
export function barChart({ title, xLabel, bars }) {
  const h = Math.max(160, M.top + M.bottom + 8 + bars.length * 18);
  // names on the left; room on both sides of the bars for their values
  const x0 = 175;
  const pw = W - x0 - 45;
  const lo = Math.min(0, ...bars.map((b) => b.value));
  const hi = Math.max(0, ...bars.map((b) => b.value));
  const sx = (v) => x0 + ((v - lo) / (hi - lo || 1)) * pw;
  const parts = [
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${x0 + pw / 2}" y="${h - 8}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<line x1="${sx(0)}" x2="${sx(0)}" y1="${M.top}" y2="${h - M.bottom}" stroke="#666"/>`,
  ];
  bars.forEach((b, i) => {
    const y = M.top + 4 + i * 18;
    const x = Math.min(sx(0), sx(b.value));
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.abs(sx(b.value) - sx(0)).toFixed(1)}" height="13" fill="${b.value >= 0 ? COLOURS[1] : COLOURS[0]}"/>`,
      `<text x="128" y="${y + 10}" text-anchor="end" font-size="10">${esc(b.name)}</text>`,
      `<text x="${(b.value >= 0 ? sx(b.value) + 3 : sx(b.value) - 3).toFixed(1)}" y="${y + 10}" text-anchor="${b.value >= 0 ? 'start' : 'end'}" font-size="9">${b.value.toFixed(3)}</text>`,
    );
  });
  for (const t of ticks(lo, hi, 4)) {
    parts.push(
      `<text x="${sx(t)}" y="${h - M.bottom + 14}" text-anchor="middle" font-size="10">${fmt(t)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

/** Overlaid histograms (as outlines) of several samples on shared bins: [{ name, values }]. */
export function histogramChart({ title, xLabel, samples, bins = 20 }) {
  const [lo, hi] = extent(samples.flatMap((s) => s.values));
  const width = (hi - lo) / bins || 1;
  const densities = samples.map((s) => {
    const counts = new Array(bins).fill(0);
    const finite = s.values.filter(Number.isFinite);
    for (const v of finite) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return counts.map((c) => c / (finite.length || 1));
  });
  const { sx, sy, parts } = frame({
    title,
    xLabel,
    yLabel: 'share of molecules',
    x: [lo, hi],
    y: [0, Math.max(...densities.flat()) * 1.1 || 1],
  });
  densities.forEach((d, k) => {
    const path = d
      .map(
        (v, i) =>
          `${i ? 'L' : 'M'}${sx(lo + i * width).toFixed(1)},${sy(v).toFixed(1)}H${sx(lo + (i + 1) * width).toFixed(1)}`,
      )
      .join('');
    parts.push(
      `<path d="${path}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="2"/>`,
    );
  });
  parts.push(legend(samples.map((s) => s.name)));
  return svg(parts.join(''), title);
}

/** A 2×2 (or k×k) confusion matrix as a shaded grid, rows the truth, columns the prediction. */
export function confusionChart({ title, matrix, labels }) {
  const k = matrix.length;
  const cell = Math.min(90, 220 / k);
  const x0 = 140;
  const y0 = 60;
  const max = Math.max(...matrix.flat(), 1);
  const parts = [
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${x0 + (cell * k) / 2}" y="${y0 - 22}" text-anchor="middle" font-size="11">predicted</text>`,
    `<text transform="translate(${x0 - 90} ${y0 + (cell * k) / 2}) rotate(-90)" text-anchor="middle" font-size="11">truth</text>`,
  ];
  matrix.forEach((row, i) => {
    parts.push(
      `<text x="${x0 - 6}" y="${y0 + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${esc(labels[i])}</text>`,
    );
    row.forEach((v, j) => {
      const shade = Math.round(255 - (v / max) * 180);
      parts.push(
        `<rect x="${x0 + j * cell}" y="${y0 + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>`,
        `<text x="${x0 + j * cell + cell / 2}" y="${y0 + i * cell + cell / 2 + 5}" text-anchor="middle" font-size="15">${v}</text>`,
      );
    });
  });
  labels.forEach((l, j) => {
    parts.push(
      `<text x="${x0 + j * cell + cell / 2}" y="${y0 - 6}" text-anchor="middle" font-size="11">${esc(l)}</text>`,
    );
  });
  return svg(parts.join(''), title);
}
