/**
 * Gzip, BGZF and raw deflate: every member of a multi-member file is read (the platforms'
 * `DecompressionStream` stops at or fails on the second one on some runtimes), from bytes and
 * from a stream cut into odd chunk sizes, and corrupt, truncated or malformed data gets a
 * FormatError.
 */
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bgzf } from '../../scripts/smoke/vcf-cases.mjs';
import { FormatError } from '../../src/core/errors.js';
import { gunzip, gunzipChunks, gunzipStream, inflateRaw, isGzip } from '../../src/core/gzip.js';

/** Deterministic, compressible-but-not-trivial text of `n` bytes. */
function text(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  let s = 12345 + salt;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = 97 + ((s >>> 16) % 7) + (i % 64 === 63 ? -87 : 0); // letters, a newline every 64
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A stream delivering `bytes` in chunks of the given sizes, cycled. */
async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let i = 0;
  for (let p = 0; p < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.slice(p, p + n);
    p += n;
  }
}

/** Byte equality without a 100k-element diff walk (the lengths show in a failure). */
function same(x: Uint8Array, y: Uint8Array): void {
  expect(x.length).toBe(y.length);
  expect(Buffer.compare(x, y)).toBe(0);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return concat(parts);
}

const a = text(70_000, 1);
const b = text(5_000, 2);
const c = text(123_457, 3);
const whole = concat([a, b, c]);
/** Three plain gzip members, as `cat a.gz b.gz c.gz` makes them. */
const multi = concat([a, b, c].map((p) => new Uint8Array(gzipSync(p))));

describe('gzip with several members', () => {
  it('gunzip and gunzipChunks read every member', async () => {
    expect(isGzip(multi)).toBe(true);
    same(await gunzip(multi, 'test'), whole);
    same(await collect(gunzipChunks(multi, 'test')), whole);
  });

  it('gunzipStream reads every member from odd-sized chunks', async () => {
    for (const sizes of [[1, 2, 3, 17], [97], [65_537, 10], [multi.length]]) {
      same(await collect(gunzipStream(chunked(multi, sizes), 'test')), whole);
    }
  });

  it('a single member and an empty member', async () => {
    const one = new Uint8Array(gzipSync(c));
    same(await gunzip(one, 'test'), c);
    const withEmpty = concat([one, new Uint8Array(gzipSync(new Uint8Array(0))), one]);
    same(await gunzip(withEmpty, 'test'), concat([c, c]));
  });
});

describe('BGZF', () => {
  const blocked = bgzf(whole, 65_280);

  it('reads every block, from bytes and from odd-sized chunks', async () => {
    expect(blocked[12]).toBe(66); // the BC subfield
    same(await gunzip(blocked, 'test'), whole);
    for (const sizes of [[1, 5, 18, 19], [4096], [70_001], [blocked.length]]) {
      same(await collect(gunzipStream(chunked(blocked, sizes), 'test')), whole);
    }
  });

  it('small blocks and a stream shorter than a header', async () => {
    const small = bgzf(b, 100);
    same(await gunzip(small, 'test'), b);
    same(await collect(gunzipStream(chunked(small, [7]), 'test')), b);
    same(await collect(gunzipStream(chunked(new Uint8Array(0), [1]), 'test')), new Uint8Array(0));
  });

  it('a truncated or malformed block is a FormatError', async () => {
    const cut = blocked.subarray(0, blocked.length - 40);
    await expect(gunzip(cut, 'test')).rejects.toThrow(FormatError);
    await expect(collect(gunzipStream(chunked(cut, [1000]), 'test'))).rejects.toThrow(
      /ends inside a block|corrupt or truncated/,
    );
    const junk = concat([blocked.subarray(0, 30_000), text(100)]);
    await expect(collect(gunzipStream(chunked(junk, [999]), 'test'))).rejects.toThrow(FormatError);
  });
});

describe('corrupt gzip', () => {
  it('truncated, flipped and non-gzip data is a FormatError', async () => {
    const one = new Uint8Array(gzipSync(c));
    await expect(gunzip(one.subarray(0, one.length - 100), 'x.gz')).rejects.toThrow(
      /x\.gz: the gzip data is corrupt or truncated/,
    );
    await expect(
      collect(gunzipStream(chunked(one.subarray(0, one.length - 100), [333]), 'x.gz')),
    ).rejects.toThrow(FormatError);
    const flipped = one.slice();
    flipped[200] = flipped[200]! ^ 0xff;
    await expect(gunzip(flipped, 'x.gz')).rejects.toThrow(FormatError);
    await expect(gunzip(text(100), 'x.gz')).rejects.toThrow(FormatError);
  });
});

describe('raw deflate', () => {
  it('inflates, ignores padding after the last block, rejects corrupt data', () => {
    const raw = new Uint8Array(deflateRawSync(c));
    same(inflateRaw(raw, 'test'), c);
    same(inflateRaw(concat([raw, new Uint8Array(1)]), 'test'), c);
    expect(() => inflateRaw(raw.subarray(0, raw.length >> 1), 'f.dcm')).toThrow(
      /f\.dcm: the deflated data is corrupt or truncated/,
    );
  });
});
