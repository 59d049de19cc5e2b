/**
 * The entries of a ZIP archive (as `torch.save` writes one: stored, uncompressed entries), from
 * its central directory, with every offset checked against the file and entry names that climb
 * out of the archive (`..`, absolute paths) refused.
 *
 * @module
 */
import { FormatError } from '../../core/errors.js';

/** Whether bytes start like a ZIP archive (a local file header). @internal */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4
  );
}

/**
 * The stored entries of a ZIP archive by name, each a view of the file's bytes.
 *
 * @throws {@link FormatError} for a truncated or malformed archive, a compressed entry, or an
 *   entry name outside the archive.
 * @internal
 */
export function zipEntries(bytes: Uint8Array, what: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (p: number) => view.getUint16(p, true);
  const u32 = (p: number) => view.getUint32(p, true);
  // the end-of-central-directory record: within the last 22 + 65,535 bytes
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 65535); p--) {
    if (u32(p) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0)
    throw new FormatError(
      `${what}: the ZIP archive has no end-of-central-directory record (truncated?).`,
    );
  let count = u16(eocd + 10);
  let dirSize = u32(eocd + 12);
  let dirOffset = u32(eocd + 16);
  // ZIP64: the locator just before the record points to the 64-bit record
  if (
    (dirOffset === 0xffffffff || count === 0xffff) &&
    eocd >= 20 &&
    u32(eocd - 20) === 0x07064b50
  ) {
    const record = Number(view.getBigUint64(eocd - 12, true));
    if (record + 56 > bytes.length || u32(record) !== 0x06064b50) {
      throw new FormatError(`${what}: the ZIP64 end-of-central-directory record is missing.`);
    }
    count = Number(view.getBigUint64(record + 32, true));
    dirSize = Number(view.getBigUint64(record + 40, true));
    dirOffset = Number(view.getBigUint64(record + 48, true));
  }
  if (dirOffset + dirSize > bytes.length) {
    throw new FormatError(
      `${what}: the ZIP central directory lies past the end of the file (truncated?).`,
    );
  }
  const entries = new Map<string, Uint8Array>();
  let p = dirOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || u32(p) !== 0x02014b50) {
      throw new FormatError(`${what}: ZIP central directory entry ${i} is malformed.`);
    }
    const method = u16(p + 10);
    let size = u32(p + 20);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const commentLength = u16(p + 32);
    let local = u32(p + 42);
    if (p + 46 + nameLength > bytes.length)
      throw new FormatError(`${what}: ZIP entry ${i}'s name is truncated.`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // ZIP64 sizes and offsets live in the extra field
    if (size === 0xffffffff || local === 0xffffffff) {
      let e = p + 46 + nameLength;
      const end = e + extraLength;
      while (e + 4 <= end) {
        const id = u16(e);
        const len = u16(e + 2);
        if (id === 1) {
          let q = e + 4;
          if (u32(p + 24) === 0xffffffff) q += 8; // uncompressed size
          if (size === 0xffffffff) {
            size = Number(view.getBigUint64(q, true));
            q += 8;
          }
          if (local === 0xffffffff) local = Number(view.getBigUint64(q, true));
        }
        e += 4 + len;
      }
    }
    if (name.startsWith('/') || name.includes('\\') || name.split('/').includes('..')) {
      throw new FormatError(
        `${what}: ZIP entry ${JSON.stringify(name)} points outside the archive; refused.`,
      );
    }
    if (method !== 0) {
      throw new FormatError(
        `${what}: ZIP entry '${name}' is compressed (method ${method}); torch.save writes stored entries.`,
      );
    }
    if (local + 30 > bytes.length || u32(local) !== 0x04034b50) {
      throw new FormatError(
        `${what}: ZIP entry '${name}' has no local header where the directory says.`,
      );
    }
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) {
      throw new FormatError(
        `${what}: ZIP entry '${name}' runs past the end of the file (truncated?).`,
      );
    }
    entries.set(name, bytes.subarray(start, start + size));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
