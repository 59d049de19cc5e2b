/**
 * Decoders for DICOM's JPEG-family transfer syntaxes: JPEG baseline and extended (8-bit)
 * through jpeg-js (a dependency), and three the application supplies with
 * {@link registerDicomCodecs}: JPEG lossless (process 14 and its first-order form) from
 * `jpeg-lossless-decoder-js`, JPEG-LS from `@cornerstonejs/codec-charls` and JPEG 2000 from
 * `@cornerstonejs/codec-openjpeg` (optional peer dependencies: the WebAssembly decoders of CharLS
 * and OpenJPEG). The library never imports those packages itself: a dynamic import of an
 * optional package breaks browser bundles. `tfjs-medkit/node` registers the installed ones.
 *
 * @module
 */
import { ArgumentError, BackendError, describeValue, FormatError } from '../../core/errors.js';
import { decodeJpeg8 } from './jpeg.js';

/** What a decoder needs to know of the frame. @internal */
export interface FrameLayout {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  /** PhotometricInterpretation: a YBR colour JPEG is returned as YBR, as pydicom does. */
  photometric: string;
}

/** The JPEG-family transfer syntaxes by UID. @internal */
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

/**
 * One codec for {@link registerDicomCodecs}: the package's module as imported (a namespace, or
 * its default export), or a function that imports it when a file first needs it
 * (`() => import('…')`), which keeps the decoder out of the page until then.
 */
export type DicomCodecSource = object | (() => Promise<unknown>);

/** The optional decoders, by the transfer syntaxes they serve. */
export interface DicomCodecs {
  /** JPEG lossless (`…4.57`, `…4.70`): `jpeg-lossless-decoder-js`. */
  jpegLossless?: DicomCodecSource;
  /** JPEG-LS (`…4.80`, `…4.81`): `@cornerstonejs/codec-charls/decodewasmjs`. */
  jpegLs?: DicomCodecSource;
  /** JPEG 2000 (`…4.90`, `…4.91`): `@cornerstonejs/codec-openjpeg/decodewasmjs`. */
  jpeg2000?: DicomCodecSource;
}

/** Options of {@link registerDicomCodecs}. */
export interface RegisterDicomCodecsOptions {
  /** Keep a codec registered before instead of replacing it. Defaults to `false`. */
  keepExisting?: boolean;
}

type CodecKey = keyof DicomCodecs;
const PACKAGES: Record<CodecKey, string> = {
  jpegLossless: 'jpeg-lossless-decoder-js',
  jpegLs: '@cornerstonejs/codec-charls',
  jpeg2000: '@cornerstonejs/codec-openjpeg',
};
const IMPORTS: Record<CodecKey, string> = {
  jpegLossless: "import * as jpegLossless from 'jpeg-lossless-decoder-js'",
  jpegLs: "import jpegLs from '@cornerstonejs/codec-charls/decodewasmjs'",
  jpeg2000: "import jpeg2000 from '@cornerstonejs/codec-openjpeg/decodewasmjs'",
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
type LosslessDecoder = new () => {
  decompress(buffer: ArrayBuffer, offset: number, length: number): ArrayBuffer;
};

const sources = new Map<CodecKey, DicomCodecSource>();
/**
 * What each registered function gave: a loader's module, or the module an emscripten factory
 * started (embind refuses a second start in one process).
 */
const calls = new WeakMap<object, Promise<unknown>>();

function callOnce(f: (o: object) => Promise<unknown>): Promise<unknown> {
  let result = calls.get(f);
  if (!result) {
    result = Promise.resolve().then(() => f(quiet));
    result.catch(() => calls.delete(f));
    calls.set(f, result);
  }
  return result;
}
const started = new Map<CodecKey, Promise<unknown>>();

/**
 * Gives `readDicom` and `readDicomSeries` the decoders of the JPEG-family transfer syntaxes
 * that need an optional package: JPEG lossless, JPEG-LS and JPEG 2000 (8-bit JPEG baseline and
 * extended need nothing). The application installs and imports the packages it wants, so its
 * bundler sees them; the library never imports them itself.
 *
 * `tfjs-medkit/node` registers, on import, each of the three that is installed (Node and Deno).
 *
 * @param codecs - each a package's module, or a function that imports it on first use.
 * @param options - see {@link RegisterDicomCodecsOptions}.
 * @throws {@link ArgumentError} for an unknown key or a value that is neither a module nor a
 *   function.
 *
 * @example
 * ```ts
 * import jpegLs from '@cornerstonejs/codec-charls/decodewasmjs';
 * import * as jpegLossless from 'jpeg-lossless-decoder-js';
 * registerDicomCodecs({
 *   jpegLs,
 *   jpegLossless,
 *   // loaded only when a JPEG 2000 file comes
 *   jpeg2000: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
 * });
 * const { image } = await readDicom(bytes);
 * ```
 */
export function registerDicomCodecs(
  codecs: DicomCodecs,
  options: RegisterDicomCodecsOptions = {},
): void {
  const fn = 'registerDicomCodecs';
  if (typeof codecs !== 'object' || codecs === null) {
    throw new ArgumentError(
      `${fn}: \`codecs\` must be an object such as { jpegLs, jpeg2000, jpegLossless }. Received: ${describeValue(codecs)}.`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError(
      `${fn}: \`options\` must be an object. Received: ${describeValue(options)}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== 'keepExisting')
      throw new ArgumentError(
        `${fn}: unknown option \`${key}\`; the only option is \`keepExisting\`.`,
      );
  }
  for (const [key, source] of Object.entries(codecs)) {
    if (!(key in PACKAGES)) {
      throw new ArgumentError(
        `${fn}: unknown codec \`${key}\`; the codecs are ${Object.keys(PACKAGES)
          .map((k) => `\`${k}\``)
          .join(', ')}.`,
      );
    }
    if (source === undefined) continue;
    if ((typeof source !== 'object' && typeof source !== 'function') || source === null) {
      throw new ArgumentError(
        `${fn}: \`codecs.${key}\` must be the module of \`${PACKAGES[key as CodecKey]}\` or a function importing it. Received: ${describeValue(source)}.`,
      );
    }
  }
  for (const [key, source] of Object.entries(codecs) as [
    CodecKey,
    DicomCodecSource | undefined,
  ][]) {
    if (source === undefined || (options.keepExisting && sources.has(key))) continue;
    sources.set(key, source);
    started.delete(key);
  }
}

/** Forgets every registered codec (for tests). @internal */
export function clearDicomCodecs(): void {
  sources.clear();
  started.clear();
}

/** The registered codec `key`, started once; a BackendError saying how to register it if none. */
function codec<T>(
  key: CodecKey,
  syntax: string,
  start: (mod: unknown) => T | Promise<T>,
): Promise<T> {
  let loading = started.get(key) as Promise<T> | undefined;
  if (loading) return loading;
  const source = sources.get(key);
  const name = PACKAGES[key];
  if (!source) {
    return Promise.reject(
      new BackendError(
        `readDicom: this file's transfer syntax (${syntax}) needs the optional package \`${name}\`: install it (npm i ${name}) and register it, \`${IMPORTS[key]}\` then \`registerDicomCodecs({ ${key} })\`, or import 'tfjs-medkit/node' in Node and Deno, which registers it when it is installed.`,
      ),
    );
  }
  loading = (async () => {
    let mod: unknown = source;
    if (typeof source === 'function' && !isDecoderClass(source)) {
      try {
        // a loader (`() => import(…)`) or an emscripten factory: both take these options
        mod = await callOnce(source as (o: object) => Promise<unknown>);
      } catch (e) {
        throw new BackendError(
          `readDicom: the codec registered for ${syntax} (\`${name}\`) did not load: ${(e as Error)?.message ?? e}. Is \`${name}\` installed (npm i ${name})?`,
          { cause: e },
        );
      }
    }
    return start(mod);
  })();
  loading.catch(() => started.delete(key));
  started.set(key, loading);
  return loading;
}

/** jpeg-lossless-decoder-js's `Decoder` class itself (a class has a prototype with `decompress`). */
function isDecoderClass(f: unknown): boolean {
  return (
    typeof f === 'function' &&
    typeof (f as { prototype?: { decompress?: unknown } }).prototype?.decompress === 'function'
  );
}

// OpenJPEG reports its progress on the console; keep it quiet
const quiet = { print: () => undefined, printErr: () => undefined };

/** A started emscripten codec from its module, its factory, or the namespace holding that. */
async function startEmscripten(
  mod: unknown,
  want: keyof CodecModule,
  name: string,
): Promise<CodecModule> {
  let m = mod as CodecModule & { default?: unknown };
  if (typeof m?.[want] === 'function') return m;
  if (typeof m === 'object' && m !== null && 'default' in m) m = m.default as typeof m;
  if (typeof m === 'function') {
    // an emscripten factory starts one module per process: the same factory, the same module
    m = (await callOnce(m as (o: object) => Promise<unknown>)) as typeof m;
  }
  if (typeof m?.[want] !== 'function') {
    throw new BackendError(
      `readDicom: the codec registered as \`${name}\` has no ${want}; register the module of \`${name}/decodewasmjs\`.`,
    );
  }
  return m;
}

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
    const Decoder = await codec('jpegLossless', name, (mod) => {
      if (isDecoderClass(mod)) return mod as LosslessDecoder;
      const m = mod as { Decoder?: unknown; default?: { Decoder?: unknown } };
      const found = m?.Decoder ?? m?.default?.Decoder;
      if (!isDecoderClass(found)) {
        throw new BackendError(
          "readDicom: the codec registered as `jpegLossless` has no Decoder; register `import * as jpegLossless from 'jpeg-lossless-decoder-js'`.",
        );
      }
      return found as LosslessDecoder;
    });
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
    const charls = await codec('jpegLs', name, (mod) =>
      startEmscripten(mod, 'JpegLSDecoder', PACKAGES.jpegLs),
    );
    return runEmscripten(charls.JpegLSDecoder!, frame, layout, name);
  }
  const openjpeg = await codec('jpeg2000', name, (mod) =>
    startEmscripten(mod, 'J2KDecoder', PACKAGES.jpeg2000),
  );
  return runEmscripten(openjpeg.J2KDecoder!, frame, layout, name);
}
