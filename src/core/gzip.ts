/**
 * Gzip and BGZF (blocked gzip, as bgzip and htslib write it) decompression with the platform's
 * `DecompressionStream`, which Node (18+), Deno and browsers all provide, so no `node:` import is
 * needed. Used for `.vcf.gz` and `.nii.gz`.
 *
 * A BGZF file is a series of gzip members whose header says each member's size (the `BC` extra
 * subfield): each member is inflated on its own, so every runtime reads it (some platforms'
 * streams stop after the first member of a multi-member file). Other gzip data goes through one
 * stream.
 *
 * @module
 */
import { FormatError } from './errors.js';

/** True when the bytes start with the gzip magic number (1f 8b). @internal */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The total size of the BGZF member at `offset`, or undefined when it is not a BGZF member. */
function bgzfMemberSize(bytes: Uint8Array, offset: number): number | undefined {
  if (offset + 18 > bytes.length) return undefined;
  if (bytes[offset] !== 0x1f || bytes[offset + 1] !== 0x8b || bytes[offset + 2] !== 8)
    return undefined;
  const flags = bytes[offset + 3]!;
  if ((flags & 4) === 0) return undefined; // no FEXTRA
  const xlen = bytes[offset + 10]! | (bytes[offset + 11]! << 8);
  let p = offset + 12;
  const end = p + xlen;
  while (p + 4 <= end) {
    const si1 = bytes[p]!;
    const si2 = bytes[p + 1]!;
    const slen = bytes[p + 2]! | (bytes[p + 3]! << 8);
    if (si1 === 66 && si2 === 67 && slen === 2) return (bytes[p + 4]! | (bytes[p + 5]! << 8)) + 1;
    p += 4 + slen;
  }
  return undefined;
}

async function inflateWhole(bytes: Uint8Array, what: string): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  try {
    const stream = new Blob([bytes as BlobPart])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch (e) {
    throw new FormatError(
      `${what}: the gzip data is corrupt or truncated (${(e as Error).message}).`,
      {
        cause: e,
      },
    );
  }
  return chunks;
}

/**
 * Inflates gzip or BGZF bytes, yielding the decompressed data in chunks (one BGZF member, or what
 * the stream produces, at a time).
 *
 * @throws {@link FormatError} for corrupt or truncated data.
 * @internal
 */
export async function* gunzipChunks(bytes: Uint8Array, what: string): AsyncGenerator<Uint8Array> {
  let offset = 0;
  if (bgzfMemberSize(bytes, 0) === undefined) {
    yield* await inflateWhole(bytes, what);
    return;
  }
  while (offset < bytes.length) {
    const size = bgzfMemberSize(bytes, offset);
    if (size === undefined || offset + size > bytes.length) {
      throw new FormatError(
        `${what}: a BGZF block at byte ${offset} is ${size === undefined ? 'malformed' : `${size} bytes long but only ${bytes.length - offset} remain`}.`,
      );
    }
    for (const chunk of await inflateWhole(bytes.subarray(offset, offset + size), what))
      yield chunk;
    offset += size;
  }
}

/**
 * Inflates gzip or BGZF bytes into one array.
 *
 * @throws {@link FormatError} for corrupt or truncated data.
 * @internal
 */
export async function gunzip(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of gunzipChunks(bytes, what)) {
    chunks.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/**
 * Inflates a stream of gzip bytes as it arrives (one platform stream; members after the first
 * are read where the platform's stream reads them, as Node's does).
 *
 * @throws {@link FormatError} for corrupt or truncated data.
 * @internal
 */
export async function* gunzipStream(
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncGenerator<Uint8Array> {
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const pump = (async () => {
    try {
      for await (const chunk of source) await writer.write(chunk as BufferSource);
      await writer.close();
    } catch (e) {
      await writer.abort(e).catch(() => {});
    }
  })();
  const reader = ds.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
  } catch (e) {
    throw new FormatError(
      `${what}: the gzip data is corrupt or truncated (${(e as Error).message}).`,
      {
        cause: e,
      },
    );
  } finally {
    await pump;
  }
}
