/**
 * Decoders for DICOM's JPEG-family transfer syntaxes, each loaded only when a file needs it:
 * JPEG baseline and extended (8-bit) through jpeg-js (a dependency), JPEG lossless (process 14
 * and its first-order form) through `jpeg-lossless-decoder-js`, JPEG-LS through
 * `@cornerstonejs/codec-charls` and JPEG 2000 through `@cornerstonejs/codec-openjpeg` (optional
 * peer dependencies: the WebAssembly decoders of CharLS and OpenJPEG).
 *
 * @module
 * @internal
 */
import { BackendError, FormatError } from '../../core/errors.js';
import { decodeJpeg8 } from './jpeg.js';

/** What a decoder needs to know of the frame. */
export interface FrameLayout {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  /** PhotometricInterpretation: a YBR colour JPEG is returned as YBR, as pydicom does. */
  photometric: string;
}

/** The JPEG-family transfer syntaxes by UID. */
export const JPEG_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'JPEG baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG extended',
  '1.2.840.10008.1.2.4.57': 'JPEG lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG lossless (first-order prediction)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS near-lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
};

interface EmscriptenDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete?(): void;
}
interface CodecModule {
  JpegLSDecoder?: new () => EmscriptenDecoder;
  J2KDecoder?: new () => EmscriptenDecoder;
}

const modules = new Map<string, Promise<unknown>>();

/** Imports an optional codec package once, naming it in the error when it is not installed. */
function load<T>(
  name: string,
  importer: () => Promise<unknown>,
  start: (mod: unknown) => T | Promise<T>,
): Promise<T> {
  let loading = modules.get(name) as Promise<T> | undefined;
  if (!loading) {
    loading = (async () => {
      let mod: unknown;
      try {
        mod = await importer();
      } catch (e) {
        throw new BackendError(
          `readDicom: this file's transfer syntax needs the optional package \`${name}\`; install it (npm i ${name}).`,
          { cause: e },
        );
      }
      return start(mod);
    })();
    loading.catch(() => modules.delete(name));
    modules.set(name, loading);
  }
  return loading;
}

const defaultExport = (mod: unknown) =>
  ((mod as { default?: unknown }).default ?? mod) as (options?: object) => Promise<CodecModule>;
// OpenJPEG reports its progress on the console; keep it quiet
const quiet = { print: () => undefined, printErr: () => undefined };

/** Samples of `bytes` decoded by an emscripten (CharLS / OpenJPEG) decoder, as stored. */
function runEmscripten(
  Decoder: new () => EmscriptenDecoder,
  frame: Uint8Array,
  layout: FrameLayout,
  codec: string,
): Uint8Array | Uint16Array {
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    try {
      decoder.decode();
    } catch (e) {
      throw new FormatError(
        `readDicom: the ${codec} frame cannot be decoded (${typeof e === 'number' ? `code ${e}` : (e as Error).message}); it is corrupt or truncated.`,
        { cause: e },
      );
    }
    const info = decoder.getFrameInfo();
    checkSize(info.width, info.height, info.componentCount, layout, codec);
    const bytes = decoder.getDecodedBuffer().slice();
    return info.bitsPerSample > 8
      ? new Uint16Array(bytes.buffer, 0, info.width * info.height * info.componentCount)
      : bytes;
  } finally {
    decoder.delete?.();
  }
}

function checkSize(
  width: number,
  height: number,
  components: number,
  layout: FrameLayout,
  codec: string,
): void {
  if (width !== layout.columns || height !== layout.rows || components !== layout.samples) {
    throw new FormatError(
      `readDicom: the ${codec} frame is ${width}×${height}×${components}, but the data set says ${layout.columns}×${layout.rows}×${layout.samples}.`,
    );
  }
}

/**
 * Decodes one compressed frame to its stored sample values, interleaved (pixel by pixel, colour
 * as RGB), before any sign or rescale handling.
 */
export async function decodeJpegFamilyFrame(
  frame: Uint8Array,
  syntax: string,
  layout: FrameLayout,
): Promise<ArrayLike<number>> {
  const name = JPEG_SYNTAXES[syntax]!;
  if (syntax === '1.2.840.10008.1.2.4.50' || syntax === '1.2.840.10008.1.2.4.51') {
    // the samples as stored: YBR stays YBR (the data set says so), RGB stays RGB
    const out = await decodeJpeg8(frame, 'readDicom', {
      what: `${name} frame`,
      ...(layout.photometric.startsWith('YBR') ? { colorTransform: false } : {}),
    });
    checkSize(out.width, out.height, out.components, layout, name);
    return out.data;
  }
  if (syntax === '1.2.840.10008.1.2.4.57' || syntax === '1.2.840.10008.1.2.4.70') {
    const Decoder = await load(
      'jpeg-lossless-decoder-js',
      () => import('jpeg-lossless-decoder-js'),
      (mod) => {
        const m = mod as { Decoder?: unknown; default?: { Decoder?: unknown } };
        return (m.Decoder ?? m.default?.Decoder) as new () => {
          decompress(buffer: ArrayBuffer, offset: number, length: number): ArrayBuffer;
        };
      },
    );
    const decoder = new Decoder();
    let out: ArrayLike<number>;
    try {
      // an ArrayBuffer of samples in host (little-endian) order, 8 or 16 bits each
      const raw = decoder.decompress(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length);
      out =
        layout.bitsAllocated > 8
          ? new Uint16Array(raw, 0, raw.byteLength >> 1)
          : new Uint8Array(raw);
    } catch (e) {
      throw new FormatError(
        `readDicom: the ${name} frame cannot be decoded: ${(e as Error).message}.`,
        {
          cause: e,
        },
      );
    }
    const expected = layout.rows * layout.columns * layout.samples;
    if (!out || out.length < expected) {
      throw new FormatError(
        `readDicom: the ${name} frame decodes to ${out?.length ?? 0} samples; the data set says ${expected}. It is corrupt or truncated.`,
      );
    }
    return out;
  }
  if (syntax === '1.2.840.10008.1.2.4.80' || syntax === '1.2.840.10008.1.2.4.81') {
    const codec = await load(
      '@cornerstonejs/codec-charls',
      () => import('@cornerstonejs/codec-charls/decodewasmjs'),
      (mod) => defaultExport(mod)(quiet),
    );
    return runEmscripten(codec.JpegLSDecoder!, frame, layout, name);
  }
  const codec = await load(
    '@cornerstonejs/codec-openjpeg',
    () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
    (mod) => defaultExport(mod)(quiet),
  );
  return runEmscripten(codec.J2KDecoder!, frame, layout, name);
}
