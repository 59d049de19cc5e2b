/**
 * A DICOM Part-10 file as a tree of elements, read and written in its own transfer syntax
 * (explicit or implicit VR, little or big endian, deflated; encapsulated pixel data kept byte
 * for byte). Values stay as the bytes of the input, so an element nobody changes is written back
 * exactly; sequences are written with undefined lengths (valid in every syntax); the meta
 * group's length is recomputed.
 *
 * @module
 * @internal
 */
import { deflateSync } from 'fflate';
import { concatBytes } from '../../core/bytes.js';
import { FormatError } from '../../core/errors.js';
import { inflateRaw } from '../../core/gzip.js';
import { dictionaryEntry, tagKey } from '../io/dicom-tags.js';

/** How a data set is encoded. @internal */
export interface TransferSyntax {
  uid: string;
  explicit: boolean;
  little: boolean;
  deflated: boolean;
}

/** One element: a value (its bytes as stored), or items (a sequence), or encapsulated data. @internal */
export interface DicomElement {
  tag: number;
  vr: string;
  value?: Uint8Array;
  items?: DicomElement[][];
  /** Encapsulated pixel data: the bytes after the header, up to and with the sequence delimiter. */
  encapsulated?: Uint8Array;
  /** A sequence stored as UN (its items in implicit VR little endian, as PS3.5 says): written so again. */
  un?: boolean;
}

/** A Part-10 file: its meta group (explicit VR little endian) and its data set. @internal */
export interface Part10File {
  meta: DicomElement[];
  dataset: DicomElement[];
  syntax: TransferSyntax;
}

const LONG_VRS = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'UC',
  'UN',
  'UR',
  'UT',
  'SV',
  'UV',
]);
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
const UNDEFINED = 0xffffffff;

/** The syntax of a transfer syntax UID. @internal */
export function transferSyntax(uid: string): TransferSyntax {
  return {
    uid,
    explicit: uid !== '1.2.840.10008.1.2',
    little: uid !== '1.2.840.10008.1.2.2',
    deflated: uid === '1.2.840.10008.1.2.1.99' || uid === '1.2.840.10008.1.2.8.1',
  };
}

/** The dictionary's VR of a tag (repeating groups 50xx and 60xx included), or UN. @internal */
export function dictionaryVr(tag: number): string {
  const entry = dictionaryEntry(tagKey(tag));
  if (!entry && (tag & 0xffff) === 0) return 'UL'; // group lengths
  return entry?.[0] ?? 'UN';
}

/** The hex form (GGGGEEEE) of a tag. @internal */
export const tagHex = (tag: number) => tag.toString(16).padStart(8, '0');

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean,
    readonly explicit: boolean,
    readonly fn: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(pos: number, n: number, what: string): void {
    if (pos + n > this.bytes.length) {
      throw new FormatError(
        `${this.fn}: the file is truncated: ${what} at byte ${pos} needs ${n} bytes, ${Math.max(0, this.bytes.length - pos)} remain.`,
      );
    }
  }
  u16(pos: number): number {
    return this.view.getUint16(pos, this.little);
  }
  u32(pos: number): number {
    return this.view.getUint32(pos, this.little);
  }
  tag(pos: number): number {
    this.need(pos, 4, 'a tag');
    return ((this.u16(pos) << 16) | this.u16(pos + 2)) >>> 0;
  }

  /** Elements from `pos` up to `end`, or up to an item delimiter when `end` is undefined. */
  elements(pos: number, end: number | undefined, depth: number): [DicomElement[], number] {
    const out: DicomElement[] = [];
    const stop = end ?? this.bytes.length;
    while (pos < stop) {
      const tag = this.tag(pos);
      if (tag === ITEM_END) {
        if (end !== undefined)
          throw new FormatError(
            `${this.fn}: an item delimiter at byte ${pos} inside a defined-length item.`,
          );
        this.need(pos, 8, 'an item delimiter');
        return [out, pos + 8];
      }
      const [element, next] = this.element(pos, tag, depth);
      out.push(element);
      pos = next;
    }
    if (end === undefined && depth > 0) {
      throw new FormatError(
        `${this.fn}: the file is truncated: an item of undefined length has no delimiter.`,
      );
    }
    if (pos !== stop)
      throw new FormatError(`${this.fn}: an element runs past its item's end at byte ${stop}.`);
    return [out, pos];
  }

  element(pos: number, tag: number, depth: number): [DicomElement, number] {
    let vr: string;
    let length: number;
    let at: number;
    if (this.explicit) {
      this.need(pos, 8, 'an element header');
      vr = String.fromCharCode(this.bytes[pos + 4]!, this.bytes[pos + 5]!);
      if (!/^[A-Z]{2}$/.test(vr)) {
        throw new FormatError(
          `${this.fn}: the element (${tagHex(tag)}) at byte ${pos} has no valid VR ('${vr}').`,
        );
      }
      if (LONG_VRS.has(vr)) {
        this.need(pos, 12, 'an element header');
        length = this.u32(pos + 8);
        at = pos + 12;
      } else {
        length = this.u16(pos + 6);
        at = pos + 8;
      }
    } else {
      this.need(pos, 8, 'an element header');
      vr = dictionaryVr(tag);
      length = this.u32(pos + 4);
      at = pos + 8;
    }
    if (vr === 'UN' && this.explicit && (length === UNDEFINED || dictionaryVr(tag) === 'SQ')) {
      // a sequence stored as UN: its items are implicit VR little endian whatever the syntax
      const inner = new Reader(this.bytes, true, false, this.fn);
      if (length !== UNDEFINED) this.need(at, length, `the value of (${tagHex(tag)})`);
      const [element, next] = inner.sequence(
        tag,
        'UN',
        at,
        length === UNDEFINED ? undefined : at + length,
        depth,
      );
      return [{ ...element, un: true }, next];
    }
    if (length === UNDEFINED) {
      if (tag === PIXEL_DATA && vr !== 'SQ') {
        // encapsulated: items up to the sequence delimiter, kept as they are
        let p = at;
        for (;;) {
          const t = this.tag(p);
          this.need(p, 8, 'a pixel data item');
          const n = this.u32(p + 4);
          if (t === SEQUENCE_END) {
            p += 8;
            break;
          }
          if (t !== ITEM)
            throw new FormatError(
              `${this.fn}: encapsulated pixel data holds a non-item (${tagHex(t)}) at byte ${p}.`,
            );
          this.need(p + 8, n, 'a pixel data fragment');
          p += 8 + n;
        }
        return [{ tag, vr, encapsulated: this.bytes.subarray(at, p) }, p];
      }
      // a sequence of undefined length (implicit VR: any element; explicit: SQ)
      return this.sequence(tag, 'SQ', at, undefined, depth);
    }
    this.need(at, length, `the value of (${tagHex(tag)})`);
    if (vr === 'SQ') return this.sequence(tag, vr, at, at + length, depth);
    return [{ tag, vr, value: this.bytes.subarray(at, at + length) }, at + length];
  }

  sequence(
    tag: number,
    vr: string,
    at: number,
    end: number | undefined,
    depth: number,
  ): [DicomElement, number] {
    if (depth > 64) throw new FormatError(`${this.fn}: sequences nest deeper than 64 levels.`);
    const items: DicomElement[][] = [];
    let p = at;
    for (;;) {
      if (end !== undefined && p >= end) break;
      const t = this.tag(p);
      this.need(p, 8, 'an item header');
      const n = this.u32(p + 4);
      if (t === SEQUENCE_END) {
        if (end !== undefined)
          throw new FormatError(
            `${this.fn}: a sequence delimiter inside a defined-length sequence at byte ${p}.`,
          );
        p += 8;
        return [{ tag, vr, items }, p];
      }
      if (t !== ITEM)
        throw new FormatError(
          `${this.fn}: the sequence (${tagHex(tag)}) holds a non-item (${tagHex(t)}) at byte ${p}.`,
        );
      if (n === UNDEFINED) {
        const [elements, next] = this.elements(p + 8, undefined, depth + 1);
        items.push(elements);
        p = next;
      } else {
        this.need(p + 8, n, 'an item');
        const [elements] = this.elements(p + 8, p + 8 + n, depth + 1);
        items.push(elements);
        p += 8 + n;
      }
    }
    if (end === undefined)
      throw new FormatError(
        `${this.fn}: the file is truncated: a sequence of undefined length has no delimiter.`,
      );
    if (p !== end)
      throw new FormatError(
        `${this.fn}: an item runs past the end of its sequence (${tagHex(tag)}).`,
      );
    return [{ tag, vr, items }, p];
  }
}

/**
 * Reads a Part-10 file (128-byte preamble, `DICM`, meta group, data set) into elements.
 *
 * @throws {@link FormatError} for anything truncated or malformed. @internal
 */
export function readPart10(bytes: Uint8Array, fn: string): Part10File {
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new FormatError(
      `${fn}: not a DICOM Part-10 file (no 'DICM' after a 128-byte preamble); a file must carry its meta information to be rewritten.`,
    );
  }
  // the meta group: explicit VR little endian, elements of group 0002
  const metaReader = new Reader(bytes, true, true, fn);
  const meta: DicomElement[] = [];
  let pos = 132;
  while (pos + 4 <= bytes.length && metaReader.u16(pos) === 0x0002) {
    const [element, next] = metaReader.element(pos, metaReader.tag(pos), 0);
    meta.push(element);
    pos = next;
  }
  const uidElement = meta.find((e) => e.tag === 0x00020010);
  if (!uidElement?.value)
    throw new FormatError(`${fn}: the meta information has no TransferSyntaxUID (0002,0010).`);
  const uid = ascii(uidElement.value);
  const syntax = transferSyntax(uid);
  let body = bytes.subarray(pos);
  if (syntax.deflated) body = inflateRaw(body, fn);
  const reader = new Reader(body, syntax.little, syntax.explicit, fn);
  const [dataset] = reader.elements(0, body.length, 0);
  return { meta: meta.filter((e) => e.tag !== 0x00020000), dataset, syntax };
}

/** A value's characters, trailing spaces and NULs removed. @internal */
export function ascii(value: Uint8Array): string {
  let s = new TextDecoder('latin1').decode(value);
  while (s.endsWith(' ') || s.endsWith('\0')) s = s.slice(0, -1);
  return s;
}

/** A string value as stored: even length, padded with a space (UI: a NUL). @internal */
export function encodeString(text: string, vr: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = vr === 'UI' ? 0 : 0x20;
  return out;
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  constructor(
    readonly little: boolean,
    readonly explicit: boolean,
  ) {}

  private header(tag: number, vr: string, length: number): void {
    const long = !this.explicit || LONG_VRS.has(vr);
    const h = new Uint8Array(this.explicit ? (long ? 12 : 8) : 8);
    const v = new DataView(h.buffer);
    v.setUint16(0, tag >>> 16, this.little);
    v.setUint16(2, tag & 0xffff, this.little);
    if (!this.explicit) v.setUint32(4, length, this.little);
    else {
      h[4] = vr.charCodeAt(0);
      h[5] = vr.charCodeAt(1);
      if (long) v.setUint32(8, length, this.little);
      else v.setUint16(6, length, this.little);
    }
    this.parts.push(h);
  }

  private marker(tag: number, length: number): void {
    const h = new Uint8Array(8);
    const v = new DataView(h.buffer);
    v.setUint16(0, tag >>> 16, this.little);
    v.setUint16(2, tag & 0xffff, this.little);
    v.setUint32(4, length, this.little);
    this.parts.push(h);
  }

  items(items: readonly DicomElement[][]): void {
    for (const item of items) {
      this.marker(ITEM, UNDEFINED);
      this.elements(item);
      this.marker(ITEM_END, 0);
    }
  }

  elements(list: readonly DicomElement[]): void {
    for (const e of list) {
      if (e.items && e.un && this.explicit) {
        const inner = new Writer(true, false);
        inner.items(e.items);
        const content = inner.bytes();
        this.header(e.tag, 'UN', content.length);
        this.parts.push(content);
      } else if (e.items) {
        this.header(e.tag, 'SQ', UNDEFINED);
        this.items(e.items);
        this.marker(SEQUENCE_END, 0);
      } else if (e.encapsulated) {
        this.header(e.tag, e.vr === 'OW' ? 'OW' : 'OB', UNDEFINED);
        this.parts.push(e.encapsulated);
      } else {
        const value = e.value ?? new Uint8Array(0);
        const vr = e.vr;
        if (this.explicit && !LONG_VRS.has(vr) && value.length > 0xffff) {
          throw new FormatError(
            `writeDicom: (${tagHex(e.tag)}) holds ${value.length} bytes, more than a ${vr} value can.`,
          );
        }
        this.header(e.tag, vr, value.length);
        this.parts.push(value);
      }
    }
  }

  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

/** Writes a Part-10 file: a zeroed preamble, `DICM`, the meta group (its length recomputed), the data set. @internal */
export function writePart10(file: Part10File): Uint8Array {
  const meta = new Writer(true, true);
  meta.elements(file.meta.filter((e) => e.tag !== 0x00020000));
  const metaBytes = meta.bytes();
  const groupLength = new Writer(true, true);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, metaBytes.length, true);
  groupLength.elements([{ tag: 0x00020000, vr: 'UL', value: len }]);
  const body = new Writer(file.syntax.little, file.syntax.explicit);
  body.elements(file.dataset);
  let data = body.bytes();
  if (file.syntax.deflated) data = deflateSync(data);
  const head = new Uint8Array(132);
  head.set([0x44, 0x49, 0x43, 0x4d], 128); // DICM
  return concatBytes([head, groupLength.bytes(), metaBytes, data]);
}
