/**
 * 8-bit JPEG decoding shared by `readImage` and `readDicom`: the frame header read from the
 * markers, and jpeg-js (pure JavaScript) for the pixels.
 *
 * @module
 * @internal
 */
import { FormatError } from '../../core/errors.js';

/** A JPEG's frame (SOF) marker, sample precision and component count. */
export interface JpegFrameHeader {
  /** The SOF marker's second byte (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, …). */
  marker: number;
  /** Bits per sample. */
  precision: number;
  /** 1 (grey) or 3 (colour). */
  components: number;
}

/**
 * Reads the frame header, skipping the other marker segments.
 *
 * @throws {@link FormatError} when there is none (a truncated file).
 */
export function jpegFrameHeader(bytes: Uint8Array, fn: string): JpegFrameHeader {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { marker, precision: bytes[i + 4]!, components: bytes[i + 9]! };
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  throw new FormatError(`${fn}: the JPEG has no frame header (SOF); it is truncated or corrupt.`);
}

/** A decoded 8-bit JPEG: interleaved samples, one per component. */
export interface DecodedJpeg {
  width: number;
  height: number;
  components: number;
  data: Uint8Array;
}

/**
 * Decodes an 8-bit baseline, extended or progressive JPEG with jpeg-js; `colorTransform: false`
 * keeps YCbCr samples as stored.
 *
 * @throws {@link FormatError} for another precision or process, or a corrupt stream.
 */
export async function decodeJpeg8(
  bytes: Uint8Array,
  fn: string,
  options: { colorTransform?: boolean; what?: string } = {},
): Promise<DecodedJpeg> {
  const header = jpegFrameHeader(bytes, fn);
  const what = options.what ?? 'JPEG';
  if (header.precision !== 8 || header.marker > 0xc2) {
    const process = header.marker === 0xc3 ? 'lossless' : `SOF${header.marker - 0xc0}`;
    throw new FormatError(
      `${fn}: this ${what} has ${header.precision}-bit samples (${process}); only 8-bit baseline, extended and progressive JPEG are supported here.`,
    );
  }
  const jpeg = (await import('jpeg-js')) as unknown as {
    decode?: typeof import('jpeg-js').decode;
    default?: { decode: typeof import('jpeg-js').decode };
  };
  const decode = jpeg.decode ?? jpeg.default!.decode;
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxMemoryUsageInMB: 2048,
      ...(options.colorTransform === false ? { colorTransform: false } : {}),
    });
  } catch (e) {
    throw new FormatError(`${fn}: the ${what} is corrupt or truncated: ${(e as Error).message}.`, {
      cause: e,
    });
  }
  const { width, height, data } = out;
  if (header.components === 3) return { width, height, components: 3, data };
  // jpeg-js returns three equal channels for a grey JPEG
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[p * 3]!;
  return { width, height, components: 1, data: grey };
}
