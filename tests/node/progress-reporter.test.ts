import { describe, expect, it } from 'vitest';
import { ProgressClock } from '../../src/index.js';
import { formatDuration, formatProgress, terminalProgress } from '../../src/node/index.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (t: string) => out.push(t) } };
}

describe('terminal progress reporter', () => {
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(4200)).toBe('4.2s');
    expect(formatDuration(83_000)).toBe('1m 23s');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });

  it('renders epoch, bar, step, loss, metrics and times', () => {
    let now = 0;
    const clock = new ProgressClock('train', 2, 4, () => now);
    now = 2000;
    const line = formatProgress(
      clock.event('stepEnd', { epoch: 1, step: 2, loss: 0.5, metrics: { accuracy: 0.75 } }),
      8,
      2,
    );
    expect(line).toBe(
      'train  epoch 1/2  [##------]  2/4  loss 0.50  accuracy 0.75  2.0s  ~6.0s left',
    );
  });

  it('redraws in place on a TTY and prints one line per epoch elsewhere', () => {
    const clock = new ProgressClock('gan', 1, 2, () => 0);
    const tty = sink(true);
    const plain = sink(false);
    for (const report of [
      terminalProgress({ stream: tty.stream }),
      terminalProgress({ stream: plain.stream }),
    ]) {
      report(clock.event('stepEnd', { epoch: 1, step: 1, loss: 1 }));
      report(clock.event('stepEnd', { epoch: 1, step: 2, loss: 0.5 }));
      report(clock.event('epochEnd', { epoch: 1, step: 2, loss: 0.5 }));
    }
    expect(tty.out).toHaveLength(3);
    expect(tty.out.every((t) => t.startsWith('\r'))).toBe(true);
    expect(tty.out[2]!.endsWith('\n')).toBe(true);
    expect(plain.out).toHaveLength(1);
    expect(plain.out[0]).toMatch(/^gan {2}epoch 1\/1 {2}\[#+\] {2}2\/2 {2}loss 0\.5000/);
  });

  it('rejects bad options', () => {
    expect(() => terminalProgress({ barWidth: 0 })).toThrow(/barWidth/);
  });
});
