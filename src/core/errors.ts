/**
 * The library's error classes. Every error thrown on bad input is a {@link MedkitError}, so a
 * caller can tell the library's refusals from tfjs's own failures with one `instanceof`.
 *
 * Messages follow one pattern: the argument, what was expected, what was received.
 *
 * @module
 */

/**
 * Base class of every error the library throws on bad input, a bad file or an unsupported
 * environment.
 *
 * @example
 * ```ts
 * try {
 *   sparseSoftmaxCrossEntropy([3], tf.zeros([1, 2]));
 * } catch (e) {
 *   if (e instanceof MedkitError) showToUser(e.message);
 * }
 * ```
 */
export class MedkitError extends Error {
  /** Creates an error with the given message. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument or option has a value the function cannot accept (range, type, dtype, length). */
export class ArgumentError extends MedkitError {}

/** A tensor or array has a shape that does not fit (rank, size, mismatch between arguments). */
export class ShapeError extends MedkitError {}

/** A file or byte buffer is malformed, truncated or of an unsupported format. */
export class FormatError extends MedkitError {}

/** The active backend lacks a kernel, a gradient or a feature that the call needs. */
export class BackendError extends MedkitError {}

/**
 * Formats a received value for an error message: short, single-line, never the whole of a large
 * array.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    const head = value
      .slice(0, 6)
      .map((v) => (typeof v === 'object' && v !== null ? '…' : describeValue(v)));
    return `[${head.join(', ')}${value.length > 6 ? `, … (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of ${(value as Uint8Array).length}`;
  const shape = (value as { shape?: unknown }).shape;
  const dtype = (value as { dtype?: unknown }).dtype;
  if (Array.isArray(shape) && typeof dtype === 'string')
    return `a ${dtype} tensor of shape [${shape.join(', ')}]`;
  return Object.prototype.toString.call(value);
}
