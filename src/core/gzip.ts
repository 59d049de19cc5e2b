/**
 * Gzip and BGZF (blocked gzip, as bgzip and htslib write it) decompression that reads every
 * member of a multi-member file on every runtime. Used for `.vcf.gz` and `.nii.gz`.
 *
 * The platforms' `DecompressionStream('gzip')` disagree on data after the first member: Node 20
 * reads on, Node 24 fails with "Trailing junk found after the end of the compressed stream", Deno
 * with "failed to write whole buffer". So a BGZF file, whose members say their size (the `BC`
 * extra subfield), is split into members, each inflated by the platform's stream on its own
 * (native speed); any other gzip data goes through fflate's streaming `Gunzip`, which reads
 * concatenated members to the end. Raw deflate (deflated DICOM) goes through fflate's `inflate`,
 * which stops at the deflate stream's last block and ignores padding after it.
 *
 * @module
 */
import { Gunzip, inflateSync } from 'fflate';
import { concatBytes } from './bytes.js';
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

/** One gzip member, inflated by the platform's stream (native speed). */
async function inflateMember(bytes: Uint8Array, what: string): Promise<Uint8Array[]> {
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
    throw corrupt(what, e);
  }
  return chunks;
}

function corrupt(what: string, e: unknown): FormatError {
  return new FormatError(
    `${what}: the gzip data is corrupt or truncated (${(e as Error).message}).`,
    {
      cause: e,
    },
  );
}

/**
 * A streaming inflater of gzip data with any number of members (fflate's `Gunzip`): push bytes
 * as they come, take what they inflated.
 */
class MemberwiseGunzip {
  private readonly out: Uint8Array[] = [];
  private readonly gunzip = new Gunzip((chunk) => {
    this.out.push(chunk);
  });

  constructor(private readonly what: string) {}

  push(bytes: Uint8Array, final = false): Uint8Array[] {
    try {
      this.gunzip.push(bytes, final);
    } catch (e) {
      throw corrupt(this.what, e);
    }
    return this.out.splice(0);
  }
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
    yield* new MemberwiseGunzip(what).push(bytes, true);
    return;
  }
  while (offset < bytes.length) {
    const size = bgzfMemberSize(bytes, offset);
    if (size === undefined || offset + size > bytes.length) {
      throw new FormatError(
        `${what}: a BGZF block at byte ${offset} is ${size === undefined ? 'malformed' : `${size} bytes long but only ${bytes.length - offset} remain`}.`,
      );
    }
    for (const chunk of await inflateMember(bytes.subarray(offset, offset + size), what))
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
  for await (const c of gunzipChunks(bytes, what)) chunks.push(c);
  return concatBytes(chunks);
}

/**
 * Inflates a stream of gzip bytes as it arrives: BGZF split into members as their bytes come
 * (each inflated natively), other gzip through the memberwise inflater; every member of a
 * multi-member stream is read.
 *
 * @throws {@link FormatError} for corrupt or truncated data.
 * @internal
 */
export async function* gunzipStream(
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncGenerator<Uint8Array> {
  // arriving chunks wait in `parts` and are joined only once `need` bytes are there (a header's
  // 18, then the whole member): small chunks cost one copy each, not one copy of the pending data
  let parts: Uint8Array[] = [];
  let have = 0;
  let need = 18; // a BGZF header's BC field is within its first 18 bytes
  let pending: Uint8Array = new Uint8Array(0);
  let mode: 'bgzf' | 'gzip' | undefined;
  let plain: MemberwiseGunzip | undefined;
  for await (const chunk of source) {
    if (mode === 'gzip') {
      yield* plain!.push(chunk);
      continue;
    }
    parts.push(chunk);
    have += chunk.length;
    if (have < need) continue;
    pending = parts.length === 1 ? parts[0]! : concatBytes(parts);
    if (mode === undefined) {
      mode = bgzfMemberSize(pending, 0) === undefined ? 'gzip' : 'bgzf';
      if (mode === 'gzip') {
        plain = new MemberwiseGunzip(what);
        yield* plain.push(pending);
        parts = [];
        continue;
      }
    }
    // BGZF: inflate every complete member
    let offset = 0;
    need = 18;
    for (;;) {
      const size = bgzfMemberSize(pending, offset);
      if (size === undefined) {
        if (pending.length - offset >= 18) {
          throw new FormatError(
            `${what}: a BGZF block is malformed after byte ${offset} of the stream's pending data.`,
          );
        }
        break;
      }
      if (offset + size > pending.length) {
        need = size;
        break;
      }
      yield* await inflateMember(pending.subarray(offset, offset + size), what);
      offset += size;
    }
    pending = pending.subarray(offset);
    parts = [pending];
    have = pending.length;
  }
  pending = concatBytes(parts);
  if (mode === 'gzip') {
    yield* plain!.push(new Uint8Array(0), true);
    return;
  }
  if (mode === undefined) {
    if (pending.length === 0) return;
    yield* new MemberwiseGunzip(what).push(pending, true);
    return;
  }
  if (pending.length > 0) {
    throw new FormatError(
      `${what}: the BGZF stream ends inside a block (${pending.length} bytes left over; truncated?).`,
    );
  }
}

/**
 * Inflates raw deflate data (deflated DICOM), stopping at the deflate stream's last block: any
 * padding after it is ignored.
 *
 * @throws {@link FormatError} for corrupt data.
 * @internal
 */
export function inflateRaw(bytes: Uint8Array, what: string): Uint8Array {
  try {
    return inflateSync(bytes);
  } catch (e) {
    throw new FormatError(
      `${what}: the deflated data is corrupt or truncated (${(e as Error).message}).`,
      {
        cause: e,
      },
    );
  }
}
