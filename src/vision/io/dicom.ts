/**
 * Reading DICOM Part 10 files from their bytes (Node, Deno, browsers): the data set parsed with
 * dicom-parser (npm, zero dependencies), every attribute keyed by its DICOM keyword, and the
 * pixel data decoded to the modality-LUT output (rescale slope/intercept applied: Hounsfield
 * units for CT) as a float32 tensor. Transfer syntaxes: implicit and explicit VR little endian,
 * explicit VR big endian, deflated explicit little endian, RLE lossless, and the JPEG family
 * (baseline/extended 8-bit, lossless, JPEG-LS, JPEG 2000; see ./dicom-codecs.ts); bits allocated
 * 1/8/16/32, signed and unsigned, bits stored below bits allocated, one or three samples per
 * pixel (either planar configuration), any number of frames. Windowing and MONOCHROME1
 * inversion are display steps, not applied here.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSet, Element } from 'dicom-parser';
import * as dicomParserNamespace from 'dicom-parser';
import { ArgumentError, describeValue, FormatError } from '../../core/errors.js';
import { inflateRaw } from '../../core/gzip.js';
import { decodeJpegFamilyFrame, JPEG_SYNTAXES } from './dicom-codecs.js';
import { DICOM_DICTIONARY } from './dicom-dictionary.js';
import { dictionaryEntry } from './dicom-tags.js';

// dicom-parser ships a UMD bundle: ESM loaders expose it as the default export
const dicomParser = ((dicomParserNamespace as unknown as { default?: typeof dicomParserNamespace })
  .default ?? dicomParserNamespace) as typeof dicomParserNamespace;

/** A bulk binary value (OB, OW, UN without a known VR, pixel data): only its length is kept. */
export interface DicomBulkValue {
  /** The value's length in bytes. */
  bytes: number;
}

/** An attribute's value: numbers and strings (arrays when multi-valued), nested items for sequences. */
export type DicomValue = string | number | (string | number)[] | DicomAttributes[] | DicomBulkValue;

/** Attributes keyed by DICOM keyword (`PatientName`, `Rows`, …; private ones by tag `x00091001`). */
export type DicomAttributes = { [keyword: string]: DicomValue };

/** What {@link readDicom} resolves to. */
export interface DicomImage {
  /**
   * The modality-LUT output (stored values × RescaleSlope + RescaleIntercept for grayscale) as
   * float32: `[rows, columns]`, `[frames, rows, columns]` for several frames, with a last axis
   * of 3 for colour. The caller disposes it.
   */
  image: tf.Tensor;
  /** Every attribute by keyword (pixel data and other bulk binary values as `{ bytes }`). */
  meta: DicomAttributes;
  /** The transfer syntax UID. */
  transferSyntax: string;
}

const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DT',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);
const DEFLATED = '1.2.840.10008.1.2.1.99';
const BIG_EXPLICIT = '1.2.840.10008.1.2.2';
const RLE = '1.2.840.10008.1.2.5';

/**
 * Attributes whose VR the standard gives as "US or SS": SS when PixelRepresentation is 1
 * (signed pixels), as pydicom resolves them. The dictionary lists them as US.
 */
const US_OR_SS = new Set([
  'x00280104', // SmallestValidPixelValue
  'x00280105', // LargestValidPixelValue
  'x00280106', // SmallestImagePixelValue
  'x00280107', // LargestImagePixelValue
  'x00280108', // SmallestPixelValueInSeries
  'x00280109', // LargestPixelValueInSeries
  'x00280110', // SmallestImagePixelValueInPlane
  'x00280111', // LargestImagePixelValueInPlane
  'x00280120', // PixelPaddingValue
  'x00280121', // PixelPaddingRangeLimit
  'x00283002', // LUTDescriptor (its first value)
]);

/**
 * The element's VR: as written, or the dictionary's for implicit VR and for UN (as pydicom), US
 * or SS resolved by PixelRepresentation.
 */
function vrOf(el: Element, signedPixels: boolean, implicit: boolean): string | undefined {
  if (el.vr && el.vr !== 'UN' && !implicit) return el.vr;
  const vr = dictionaryEntry(el.tag)?.[0] ?? el.vr;
  return vr === 'US' && signedPixels && US_OR_SS.has(el.tag) ? 'SS' : vr;
}

function attributes(ds: DataSet, implicit: boolean, depth = 0, signed?: boolean): DicomAttributes {
  // PixelRepresentation of this data set, or of the enclosing one for items
  const pr = ds.elements.x00280103 ? ds.uint16('x00280103') : undefined;
  const signedPixels = pr === undefined ? (signed ?? false) : pr === 1;
  const out: DicomAttributes = {};
  for (const [tag, el] of Object.entries(ds.elements)) {
    if (tag.endsWith('0000') && tag !== 'x00000000') continue; // group lengths
    // repeating groups keep their group: OverlayRows for 6000, OverlayRows_6002 for 6002
    const key = dictionaryEntry(tag)?.[1] ?? tag;
    const vr = vrOf(el, signedPixels, implicit);
    if (el.items) {
      out[key] =
        depth < 16
          ? el.items.map((item) =>
              item.dataSet ? attributes(item.dataSet, implicit, depth + 1, signedPixels) : {},
            )
          : [];
      continue;
    }
    try {
      if (vr && STRING_VRS.has(vr)) {
        const text = ds.string(tag) ?? '';
        const parts = text.split('\\');
        out[key] = parts.length > 1 ? parts : text;
      } else if (vr === 'DS' || vr === 'IS') {
        const parts = (ds.string(tag) ?? '')
          .split('\\')
          .filter((s) => s.trim() !== '')
          .map(Number);
        out[key] = parts.length === 1 ? parts[0]! : parts;
      } else if (
        vr === 'US' ||
        vr === 'SS' ||
        vr === 'UL' ||
        vr === 'SL' ||
        vr === 'FL' ||
        vr === 'FD'
      ) {
        const size = vr === 'FD' ? 8 : vr === 'US' || vr === 'SS' ? 2 : 4;
        const count = Math.floor(el.length / size);
        const read = (i: number) =>
          vr === 'US'
            ? ds.uint16(tag, i)
            : vr === 'SS'
              ? ds.int16(tag, i)
              : vr === 'UL'
                ? ds.uint32(tag, i)
                : vr === 'SL'
                  ? ds.int32(tag, i)
                  : vr === 'FL'
                    ? ds.float(tag, i)
                    : ds.double(tag, i);
        const values = Array.from({ length: count }, (_, i) => read(i) as number);
        out[key] = values.length === 1 ? values[0]! : values;
      } else if (vr === 'AT') {
        out[key] = ds.attributeTag(tag) ?? '';
      } else {
        out[key] = { bytes: el.length };
      }
    } catch {
      out[key] = { bytes: el.length };
    }
  }
  return out;
}

/** Decodes one RLE-lossless frame (PS3.5 annex G) into interleaved samples of `bytesPer` bytes, big-endian byte order. */
function decodeRle(
  frame: Uint8Array,
  pixels: number,
  samples: number,
  bytesPer: number,
  fn: string,
): Uint8Array {
  if (frame.length < 64)
    throw new FormatError(
      `${fn}: an RLE frame of ${frame.length} bytes is shorter than its 64-byte header.`,
    );
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== samples * bytesPer) {
    throw new FormatError(
      `${fn}: the RLE header lists ${segments} segments; ${samples} samples × ${bytesPer} bytes need ${samples * bytesPer}.`,
    );
  }
  const out = new Uint8Array(pixels * samples * bytesPer);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > frame.length || end > frame.length || end < start) {
      throw new FormatError(`${fn}: RLE segment ${s} points outside its frame.`);
    }
    const sample = Math.floor(s / bytesPer);
    const byte = s % bytesPer; // 0 = most significant
    let p = start;
    let i = 0;
    while (i < pixels && p < end) {
      const n = (frame[p++]! << 24) >> 24; // signed header byte
      if (n >= 0) {
        for (let k = 0; k <= n && i < pixels && p < end; k++)
          out[(i++ * samples + sample) * bytesPer + byte] = frame[p++]!;
      } else if (n !== -128) {
        const v = frame[p++]!;
        for (let k = 0; k < 1 - n && i < pixels; k++)
          out[(i++ * samples + sample) * bytesPer + byte] = v;
      }
    }
    if (i < pixels)
      throw new FormatError(
        `${fn}: RLE segment ${s} decodes to ${i} of ${pixels} pixels; the data is truncated.`,
      );
  }
  return out;
}

/**
 * Reads a DICOM Part 10 file: its attributes by keyword and its pixel data, rescaled.
 *
 * @param bytes - the file's bytes.
 * @returns `{ image, meta, transferSyntax }`.
 * @throws {@link FormatError} for a missing preamble or meta header, a malformed or truncated
 *   data set (lengths past the end are caught before any allocation), truncated pixel data, a
 *   file without pixel data, or a compressed frame that cannot be decoded (a 12-bit JPEG
 *   extended frame among them); `BackendError` when the frame's codec package (an optional peer
 *   dependency: `jpeg-lossless-decoder-js`, `@cornerstonejs/codec-charls`,
 *   `@cornerstonejs/codec-openjpeg`) is not installed; {@link ArgumentError} when `bytes` is not a
 *   `Uint8Array`.
 *
 * @example
 * ```ts
 * const { image, meta } = await readDicom(await readFile('ct.dcm'));
 * meta.Modality; // 'CT'
 * image.shape; // [512, 512], in Hounsfield units
 * ```
 */
export async function readDicom(bytes: Uint8Array): Promise<DicomImage> {
  const fn = 'readDicom';
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`bytes\` must be a Uint8Array of the file. Received: ${describeValue(bytes)}.`,
    );
  }
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new FormatError(
      `${fn}: no 'DICM' marker after the 128-byte preamble: this is not a DICOM Part 10 file (or its preamble and meta header are missing).`,
    );
  }
  let ds: DataSet;
  try {
    const meta = dicomParser.readPart10Header(bytes);
    const syntax = meta.string('x00020010')?.trim();
    if (!syntax) throw new Error('the meta header has no TransferSyntaxUID (0002,0010)');
    let source = bytes;
    if (syntax === DEFLATED) {
      // the data set after the meta header is raw deflate
      const position = (meta as unknown as { position?: number }).position ?? findMetaEnd(meta);
      const inflated = inflateRaw(bytes.subarray(position), fn);
      source = new Uint8Array(position + inflated.length);
      source.set(bytes.subarray(0, position));
      source.set(inflated, position);
    }
    ds = dicomParser.parseDicom(source, {
      vrCallback: (tag: string) => dictionaryEntry(tag)?.[0],
      ...(syntax === DEFLATED ? { inflater: (b: Uint8Array) => b } : {}),
    } as never);
  } catch (e) {
    throw new FormatError(`${fn}: the data set cannot be parsed: ${(e as Error).message ?? e}.`, {
      cause: e,
    });
  }
  const transferSyntax = ds.string('x00020010')?.trim() ?? '';
  const meta = attributes(ds, ds.string('x00020010')?.trim() === '1.2.840.10008.1.2');
  const pixel = ds.elements.x7fe00010;
  if (!pixel)
    throw new FormatError(`${fn}: the file has no PixelData (7FE0,0010); it is not an image.`);
  const num = (tag: string, fallback?: number): number => {
    const v = ds.uint16(tag);
    if (v === undefined) {
      if (fallback === undefined)
        throw new FormatError(
          `${fn}: the required attribute ${DICOM_DICTIONARY[tag]?.[1] ?? tag} is missing.`,
        );
      return fallback;
    }
    return v;
  };
  const rows = num('x00280010');
  const cols = num('x00280011');
  const samples = num('x00280002', 1);
  const bitsAllocated = num('x00280100');
  const bitsStored = num('x00280101', bitsAllocated);
  const signed = num('x00280103', 0) === 1;
  const planar = num('x00280006', 0);
  const frames = Math.max(1, Number.parseInt(ds.string('x00280008') ?? '1', 10) || 1);
  if (![1, 8, 16, 32].includes(bitsAllocated))
    throw new FormatError(`${fn}: BitsAllocated ${bitsAllocated} is not 1, 8, 16 or 32.`);
  if (samples !== 1 && samples !== 3)
    throw new FormatError(`${fn}: SamplesPerPixel ${samples} is not 1 or 3.`);
  const pixels = rows * cols;
  const total = pixels * samples * frames;
  if (!(rows >= 1 && cols >= 1))
    throw new FormatError(`${fn}: Rows × Columns is ${rows} × ${cols}.`);
  const bytesPer = bitsAllocated / 8;
  const values = new Float64Array(total);
  const big = transferSyntax === BIG_EXPLICIT;
  // a stored sample to its value: bits above BitsStored dropped, two's complement when signed
  const storedValue = (raw: number): number => {
    const v = bitsStored < bitsAllocated ? raw % 2 ** bitsStored : raw;
    return signed && v >= 2 ** (bitsStored - 1) ? v - 2 ** bitsStored : v;
  };
  const readSample = (view: DataView, offset: number, littleEndian: boolean): number =>
    storedValue(
      bitsAllocated === 8
        ? view.getUint8(offset)
        : bitsAllocated === 16
          ? view.getUint16(offset, littleEndian)
          : view.getUint32(offset, littleEndian),
    );

  if (JPEG_SYNTAXES[transferSyntax]) {
    if (bitsAllocated === 1)
      throw new FormatError(
        `${fn}: ${JPEG_SYNTAXES[transferSyntax]} with BitsAllocated 1 is not valid DICOM.`,
      );
    const photometric = ds.string('x00280004') ?? (samples === 3 ? 'RGB' : 'MONOCHROME2');
    const layout = { rows, columns: cols, samples, bitsAllocated, photometric };
    for (let f = 0; f < frames; f++) {
      const frame = encapsulatedFrame(ds, pixel, f, frames, fn);
      const decoded = await decodeJpegFamilyFrame(frame, transferSyntax, layout);
      for (let i = 0; i < pixels * samples; i++)
        values[f * pixels * samples + i] = storedValue(decoded[i]!);
    }
  } else if (transferSyntax === RLE) {
    if (bitsAllocated === 1)
      throw new FormatError(`${fn}: RLE with BitsAllocated 1 is not valid DICOM.`);
    for (let f = 0; f < frames; f++) {
      const frame = encapsulatedFrame(ds, pixel, f, frames, fn);
      const decoded = decodeRle(frame, pixels, samples, bytesPer, fn);
      const view = new DataView(decoded.buffer);
      for (let i = 0; i < pixels * samples; i++)
        values[f * pixels * samples + i] = readSample(view, i * bytesPer, false);
    }
  } else if (pixel.encapsulatedPixelData) {
    throw new FormatError(
      `${fn}: transfer syntax ${transferSyntax} has encapsulated pixel data this reader cannot decode.`,
    );
  } else {
    const needed = bitsAllocated === 1 ? Math.ceil(total / 8) : total * bytesPer;
    if (pixel.dataOffset + needed > ds.byteArray.length || pixel.length < needed) {
      throw new FormatError(
        `${fn}: the pixel data holds ${Math.min(pixel.length, ds.byteArray.length - pixel.dataOffset)} bytes; ${frames} frame(s) of ${rows}×${cols}×${samples} at ${bitsAllocated} bits need ${needed}. It is truncated.`,
      );
    }
    const view = new DataView(
      ds.byteArray.buffer,
      ds.byteArray.byteOffset + pixel.dataOffset,
      needed,
    );
    if (bitsAllocated === 1) {
      for (let i = 0; i < total; i++) values[i] = (view.getUint8(i >> 3) >> (i & 7)) & 1;
    } else if (samples === 3 && planar === 1) {
      // colour-by-plane: RRR…GGG…BBB… per frame → interleaved
      for (let f = 0; f < frames; f++) {
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < pixels; i++) {
            values[(f * pixels + i) * 3 + c] = readSample(
              view,
              ((f * 3 + c) * pixels + i) * bytesPer,
              !big,
            );
          }
        }
      }
    } else {
      for (let i = 0; i < total; i++) values[i] = readSample(view, i * bytesPer, !big);
    }
  }
  if (samples === 1) {
    const slope = Number.parseFloat(ds.string('x00281053') ?? '1');
    const intercept = Number.parseFloat(ds.string('x00281052') ?? '0');
    const s = Number.isFinite(slope) ? slope : 1;
    const b = Number.isFinite(intercept) ? intercept : 0;
    if (s !== 1 || b !== 0) for (let i = 0; i < total; i++) values[i] = values[i]! * s + b;
  }
  const shape = [...(frames > 1 ? [frames] : []), rows, cols, ...(samples === 3 ? [3] : [])];
  return { image: tf.tensor(Float32Array.from(values), shape, 'float32'), meta, transferSyntax };
}

/**
 * One frame's bytes of encapsulated pixel data: through the basic offset table when it has one;
 * without one, all fragments for a single frame, or one fragment per frame.
 */
function encapsulatedFrame(
  ds: DataSet,
  pixel: Element,
  index: number,
  frames: number,
  fn: string,
): Uint8Array {
  const fragments = pixel.fragments ?? [];
  try {
    if (pixel.basicOffsetTable && pixel.basicOffsetTable.length > 0) {
      return dicomParser.readEncapsulatedImageFrame(ds, pixel, index) as Uint8Array;
    }
    if (frames === 1)
      return dicomParser.readEncapsulatedPixelDataFromFragments(
        ds,
        pixel,
        0,
        fragments.length,
      ) as Uint8Array;
    if (fragments.length === frames)
      return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, index, 1) as Uint8Array;
  } catch (e) {
    throw new FormatError(
      `${fn}: frame ${index} of the encapsulated pixel data cannot be read: ${(e as Error).message}.`,
      { cause: e },
    );
  }
  throw new FormatError(
    `${fn}: ${frames} frames in ${fragments.length} fragments without a basic offset table: the frame boundaries are unknown.`,
  );
}

/** The byte after the meta header group (0002), for deflated files. */
function findMetaEnd(meta: DataSet): number {
  let end = 132;
  for (const el of Object.values(meta.elements)) end = Math.max(end, el.dataOffset + el.length);
  return end;
}
