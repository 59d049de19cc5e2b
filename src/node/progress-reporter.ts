/**
 * A ready terminal progress reporter: a {@link ProgressCallback} that draws a bar with the epoch,
 * step, loss, metrics, elapsed time and an estimate of the time left.
 *
 * @module
 */
import type { ProgressCallback, ProgressEvent } from '../core/progress.js';
import { resolveOptions } from '../core/validate.js';

/** Where the reporter writes: `process.stderr` or anything with `write`. */
export interface ProgressStream {
  /** Writes text. */
  write(text: string): unknown;
  /** True for a terminal: the bar redraws in place; otherwise one line per epoch. */
  isTTY?: boolean;
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Where to write. Defaults to `process.stderr`. */
  stream?: ProgressStream;
  /** Width of the bar in characters. Defaults to 24. */
  barWidth?: number;
  /** Digits after the point for loss and metrics. Defaults to 4. */
  digits?: number;
}

/** `83_000` → `"1m 23s"`; `4_200` → `"4.2s"`; `850` → `"850ms"`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - 60 * m);
  if (m < 60) return `${m}m ${String(rest).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Renders one event as a single line (no newline). */
export function formatProgress(event: ProgressEvent, barWidth = 24, digits = 4): string {
  const frac = event.totalSteps > 0 ? event.completedSteps / event.totalSteps : 0;
  const filled = Math.round(frac * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const parts = [
    event.label,
    `epoch ${event.epoch}/${event.epochs}`,
    bar,
    `${event.step}/${event.stepsPerEpoch}`,
  ];
  if (event.loss !== undefined) parts.push(`loss ${event.loss.toFixed(digits)}`);
  for (const [name, v] of Object.entries(event.metrics)) parts.push(`${name} ${v.toFixed(digits)}`);
  parts.push(formatDuration(event.elapsedMs));
  if (event.etaMs !== undefined && event.type !== 'end')
    parts.push(`~${formatDuration(event.etaMs)} left`);
  return parts.join('  ');
}

/**
 * A progress callback that draws a bar on a terminal (redrawn in place on a TTY; one line per
 * epoch otherwise, as in CI logs).
 *
 * @param options - see {@link TerminalProgressOptions}.
 * @returns a {@link ProgressCallback} for any long-running function's `onProgress`.
 *
 * @example
 * ```ts
 * import { terminalProgress } from 'tfjs-medkit/node';
 * await trainClassifier(model, data, { epochs: 10, onProgress: terminalProgress() });
 * // train  epoch 3/10  [#######-----------------]  12/40  loss 0.2314  accuracy 0.9312  8.1s  ~19.0s left
 * ```
 */
export function terminalProgress(options?: TerminalProgressOptions): ProgressCallback {
  const opts = resolveOptions('terminalProgress', options, {
    stream: { constraint: { kind: 'object' } },
    barWidth: { constraint: { kind: 'number', min: 1, max: 200, integer: true }, default: 24 },
    digits: { constraint: { kind: 'number', min: 0, max: 12, integer: true }, default: 4 },
  });
  const stream: ProgressStream = opts.stream ?? process.stderr;
  let lastLength = 0;
  return (event) => {
    const line = formatProgress(event, opts.barWidth, opts.digits);
    if (stream.isTTY) {
      const pad = ' '.repeat(Math.max(0, lastLength - line.length));
      const done = event.type === 'epochEnd' || event.type === 'end';
      stream.write(`\r${line}${pad}${done ? '\n' : ''}`);
      lastLength = done ? 0 : line.length;
    } else if (event.type === 'epochEnd' || event.type === 'end') {
      stream.write(`${line}\n`);
    }
  };
}
