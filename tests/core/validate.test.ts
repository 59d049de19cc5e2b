import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/core/errors.js';
import { type OptionSpecs, resolveOptions } from '../../src/core/validate.js';

interface Opts {
  rate?: number;
  steps?: number;
  mode?: 'a' | 'b';
  flag?: boolean;
  extra?: number;
}
const SPECS: OptionSpecs<Opts> = {
  rate: { constraint: { kind: 'number', min: 0, max: 1, minExclusive: true }, default: 0.5 },
  steps: { constraint: { kind: 'number', min: 1, integer: true }, default: 10 },
  mode: { constraint: { kind: 'string', oneOf: ['a', 'b'] }, default: 'a' },
  flag: { constraint: { kind: 'boolean' }, default: false },
  extra: { constraint: { kind: 'number' } },
};

describe('resolveOptions', () => {
  it('fills defaults and keeps given values', () => {
    expect(resolveOptions('f', undefined, SPECS)).toEqual({
      rate: 0.5,
      steps: 10,
      mode: 'a',
      flag: false,
    });
    expect(resolveOptions('f', { rate: 1, mode: 'b', extra: -3 }, SPECS)).toEqual({
      rate: 1,
      steps: 10,
      mode: 'b',
      flag: false,
      extra: -3,
    });
  });

  it.each([
    [{ rate: 0 }, /f: `rate` must be a number in \(0, 1\]. Received: 0\./],
    [{ rate: Number.NaN }, /`rate` must be a number. Received: NaN/],
    [{ rate: Number.POSITIVE_INFINITY }, /finite/],
    [{ steps: 2.5 }, /`steps` must be an integer/],
    [{ steps: 0 }, /`steps` must be an integer in \[1, ∞\)/],
    [{ mode: 'c' }, /`mode` must be one of 'a', 'b'. Received: "c"/],
    [{ flag: 1 }, /`flag` must be a boolean/],
    [{ stepz: 3 }, /unknown option `stepz`. Known options: rate, steps, mode, flag, extra/],
  ])('%o is refused with a message naming it', (opts, message) => {
    expect(() => resolveOptions('f', opts as Opts, SPECS)).toThrow(ArgumentError);
    expect(() => resolveOptions('f', opts as Opts, SPECS)).toThrow(message);
  });

  it('refuses a non-object', () => {
    expect(() => resolveOptions('f', 3 as unknown as Opts, SPECS)).toThrow(
      /`options` must be an object/,
    );
  });
});
