/**
 * Declarative validation of option objects, used by every public entry point.
 *
 * A function lists the constraints of its options once ({@link OptionSpec}); {@link resolveOptions}
 * checks the caller's object against them, fills in the documented defaults, and throws an
 * {@link ArgumentError} that names the option, what was expected and what was received. Unknown
 * option names are refused too, since a misspelt option silently ignored gives a wrong answer.
 *
 * @module
 */
import { ArgumentError, describeValue } from './errors.js';

/** One constraint on an option's value. */
export type Constraint =
  | {
      kind: 'number';
      min?: number;
      max?: number;
      minExclusive?: boolean;
      maxExclusive?: boolean;
      integer?: boolean;
    }
  | { kind: 'boolean' }
  /** A string, one of `oneOf` when given. */
  | { kind: 'string'; oneOf?: readonly string[] }
  | { kind: 'function' }
  | { kind: 'object' }
  /** A seed of the library's generator: a safe integer or a bigint. */
  | { kind: 'seed' }
  /** Anything non-null: checked by the caller (tensors, arrays of several accepted forms). */
  | { kind: 'any' };

/** The specification of one option: its constraint and, when it has one, its default. */
export interface OptionSpec<T = unknown> {
  /** What the value must satisfy. */
  constraint: Constraint;
  /** The value used when the caller gives none; omit for options that may stay `undefined`. */
  default?: T | Readonly<T>;
  /**
   * This option is a deprecated spelling of the option named here: a value given under it is
   * checked and returned under that name (giving both is an error).
   */
  aliasOf?: string;
}

/** Maps each option name of `T` to its specification. */
export type OptionSpecs<T> = { [K in keyof T]-?: OptionSpec<T[K]> };

/** The options of `S` that have a default. @internal */
export type DefaultedKeys<S> = {
  [K in keyof S]-?: S[K] extends { default: infer D } ? (undefined extends D ? never : K) : never;
}[keyof S];

/**
 * What {@link resolveOptions} returns: the options `T`, with every option that has a default in
 * `S` present (no `?? default` needed where it is read).
 *
 * @internal
 */
export type Resolved<T, S> = Omit<T, DefaultedKeys<S> & keyof T> & {
  [K in DefaultedKeys<S> & keyof T]-?: Exclude<T[K], undefined>;
};

/**
 * Checks a value against a constraint and throws an {@link ArgumentError} naming `name` when it
 * fails. `name` is the argument as the message should show it (see {@link argName}).
 *
 * @internal
 */
export function checkConstraint(name: string, value: unknown, c: Constraint): void {
  const fail = (expected: string): never => {
    throw new ArgumentError(`${name} must be ${expected}. Received: ${describeValue(value)}.`);
  };
  switch (c.kind) {
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value)) fail('a number');
      const v = value as number;
      if (
        !Number.isFinite(v) &&
        !(c.max === Number.POSITIVE_INFINITY && v === Number.POSITIVE_INFINITY)
      ) {
        fail('a finite number');
      }
      if (c.integer && !Number.isInteger(v)) fail('an integer');
      const lo = c.min;
      const hi = c.max;
      const range = `in ${lo === undefined ? '(-∞' : c.minExclusive ? `(${lo}` : `[${lo}`}, ${hi === undefined ? '∞)' : c.maxExclusive ? `${hi})` : `${hi}]`}`;
      if (lo !== undefined && (c.minExclusive ? v <= lo : v < lo))
        fail(`${c.integer ? 'an integer' : 'a number'} ${range}`);
      if (hi !== undefined && (c.maxExclusive ? v >= hi : v > hi))
        fail(`${c.integer ? 'an integer' : 'a number'} ${range}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('a boolean');
      return;
    case 'string':
      if (c.oneOf === undefined) {
        if (typeof value !== 'string') fail('a string');
      } else if (typeof value !== 'string' || !c.oneOf.includes(value)) {
        fail(`one of ${c.oneOf.map((s) => `'${s}'`).join(', ')}`);
      }
      return;
    case 'function':
      if (typeof value !== 'function') fail('a function');
      return;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object');
      return;
    case 'seed':
      if (!(typeof value === 'bigint' || Number.isSafeInteger(value)))
        fail('a seed (a safe integer or a bigint)');
      return;
    case 'any':
      return;
  }
}

/**
 * Validates `options` against `specs` and returns a new object with every default filled in;
 * its type says so (the defaulted options are required), when `T` and `S` are inferred from the
 * arguments rather than given.
 *
 * @param fn - the public function's name, for messages (`'softmaxCrossEntropy'`).
 * @param options - what the caller passed (`undefined` means all defaults).
 * @param specs - one entry per option.
 * @throws {@link ArgumentError} for an unknown option, or a value outside its constraint.
 * @internal
 */
export function resolveOptions<T extends object, const S extends OptionSpecs<T>>(
  fn: string,
  options: T | undefined,
  specs: S,
): Resolved<T, S>;
/** With `T` given explicitly, the options come back typed as `T`. @internal */
export function resolveOptions<T extends object>(
  fn: string,
  options: Partial<T> | undefined,
  specs: OptionSpecs<T>,
): T;
export function resolveOptions<T extends object>(
  fn: string,
  options: Partial<T> | undefined,
  specs: OptionSpecs<T>,
): T {
  if (
    options !== undefined &&
    (typeof options !== 'object' || options === null || Array.isArray(options))
  ) {
    throw new ArgumentError(
      `${fn}: \`options\` must be an object. Received: ${describeValue(options)}.`,
    );
  }
  const given = (options ?? {}) as Record<string, unknown>;
  const table = specs as Record<string, OptionSpec>;
  for (const key of Object.keys(given)) {
    if (!(key in table)) {
      const known = Object.keys(table).join(', ');
      throw new ArgumentError(`${fn}: unknown option \`${key}\`. Known options: ${known}.`);
    }
  }
  const values: Record<string, unknown> = { ...given };
  for (const [key, spec] of Object.entries(table)) {
    if (spec.aliasOf === undefined || given[key] === undefined) continue;
    if (given[spec.aliasOf] !== undefined) {
      throw new ArgumentError(
        `${fn}: give \`${spec.aliasOf}\` or its former spelling \`${key}\`, not both.`,
      );
    }
    values[spec.aliasOf] = given[key];
    delete values[key];
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    if (spec.aliasOf !== undefined) continue;
    const value = values[key];
    if (value === undefined) {
      if (spec.default !== undefined) out[key] = spec.default;
      continue;
    }
    checkConstraint(argName(fn, key), value, spec.constraint);
    out[key] = value;
  }
  return out as T;
}

/**
 * Formats an argument's name for messages: `` fn: `name` ``.
 *
 * @internal
 */
export function argName(fn: string, name: string): string {
  return `${fn}: \`${name}\``;
}
