/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
 * JSON naming each tensor's dtype, shape and `data_offsets` [begin, end) in the data that
 * follows, then the raw little-endian data. Read with every bound checked before anything large
 * is allocated (a header that claims more bytes than the file has, offsets that overlap or leave
 * the data, sizes that disagree with the shape, an unknown dtype: each a `FormatError`); written
 * by {@link writeSafetensors}.
 *
 * @module
 */
import { FormatError } from '../../core/errors.js';

/** The element types the library reads and writes. */
export type WeightDtype = 'F32' | 'F16' | 'BF16' | 'I64';

/** One tensor of a weights file, its values as float32 (int64 values as their float). */
export interface WeightTensor {
  /** Its element type in the file. */
  dtype: WeightDtype;
  /** Its shape. */
  shape: number[];
  /** Its values, row-major (a view of the file where its bytes allow, else a copy). */
  values: Float32Array;
}

const BYTES: Record<WeightDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8 };

/** Whether bytes are a safetensors file (a plausible header length, then `{`). @internal */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  return n > 1n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** An IEEE half-precision value as a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Decodes `count` elements of `dtype` at `offset` of `bytes` (little-endian) into float32: a
 * view of the bytes for aligned float32, a copy otherwise. @internal
 */
export function decodeElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: WeightDtype,
): Float32Array {
  const at = bytes.byteOffset + offset;
  if (dtype === 'F32') {
    if (at % 4 === 0) return new Float32Array(bytes.buffer, at, count);
    return new Float32Array(bytes.slice(offset, offset + 4 * count).buffer);
  }
  const view = new DataView(bytes.buffer, at, count * BYTES[dtype]);
  const out = new Float32Array(count);
  if (dtype === 'F16')
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  else if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true));
  return out;
}

/**
 * Reads a safetensors file.
 *
 * @param bytes - the file.
 * @param what - the calling function, for messages.
 * @throws {@link FormatError} for a malformed or truncated file.
 * @internal
 */
export function readSafetensors(bytes: Uint8Array, what: string): Map<string, WeightTensor> {
  if (bytes.length < 8)
    throw new FormatError(
      `${what}: the safetensors file is shorter than its 8-byte header length.`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new FormatError(
      `${what}: the safetensors header claims ${n} bytes but the file has only ${bytes.length - 8} after its length field.`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(n)))) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new FormatError(
      `${what}: the safetensors header is not JSON (${(e as Error).message}).`,
      { cause: e },
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FormatError(`${what}: the safetensors header is not a JSON object.`);
  }
  const base = 8 + Number(n);
  const dataLength = bytes.length - base;
  const spans: [number, number, string][] = [];
  const out = new Map<string, WeightTensor>();
  for (const [name, meta] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const m = meta as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof m !== 'object' || m === null)
      throw new FormatError(`${what}: tensor '${name}' has no description.`);
    if (typeof m.dtype !== 'string' || !(m.dtype in BYTES)) {
      throw new FormatError(
        `${what}: tensor '${name}' has dtype ${JSON.stringify(m.dtype)}; the library reads F32, F16, BF16 and I64.`,
      );
    }
    const dtype = m.dtype as WeightDtype;
    const shape = m.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new FormatError(`${what}: tensor '${name}' has a bad shape ${JSON.stringify(shape)}.`);
    }
    const offsets = m.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[1] < offsets[0] ||
      offsets[1] > dataLength
    ) {
      throw new FormatError(
        `${what}: tensor '${name}' has data offsets ${JSON.stringify(offsets)} outside the ${dataLength} bytes of data.`,
      );
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * BYTES[dtype]) {
      throw new FormatError(
        `${what}: tensor '${name}' is ${offsets[1] - offsets[0]} bytes, but ${JSON.stringify(shape)} of ${dtype} needs ${count * BYTES[dtype]}.`,
      );
    }
    spans.push([offsets[0], offsets[1], name]);
    out.set(name, { dtype, shape: shape as number[], values: new Float32Array(0) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) {
      throw new FormatError(
        `${what}: tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap in the data.`,
      );
    }
  }
  for (const [begin, , name] of spans) {
    const t = out.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    t.values = decodeElements(bytes, base + begin, count, t.dtype);
  }
  return out;
}

/**
 * Writes tensors as a safetensors file (float32 as F32; `I64` tensors' values as 64-bit
 * integers), in the order given.
 *
 * @internal
 */
export function writeSafetensors(tensors: ReadonlyMap<string, WeightTensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.values.length * (t.dtype === 'I64' ? 8 : 4);
    header[name] = {
      dtype: t.dtype === 'I64' ? 'I64' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + size],
    };
    offset += size;
  }
  let text = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (text.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(text.length + pad).fill(0x20);
    padded.set(text);
    text = padded;
  }
  const out = new Uint8Array(8 + text.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let p = 8 + text.length;
  for (const t of tensors.values()) {
    if (t.dtype === 'I64') {
      for (let i = 0; i < t.values.length; i++)
        view.setBigInt64(p + 8 * i, BigInt(Math.round(t.values[i]!)), true);
      p += 8 * t.values.length;
    } else {
      out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), p);
      p += 4 * t.values.length;
    }
  }
  return out;
}
