/**
 * Reading PNG and JPEG images (X-ray and screen exports) to tensors: bytes in, so it works in
 * Node, Deno and browsers, through two pure-JavaScript decoders from npm (fast-png, jpeg-js);
 * and, in browsers, from an image element, bitmap, canvas or video through tfjs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, FormatError } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import { decodeJpeg8 } from './jpeg.js';

/** What {@link readImage} and {@link imageFromPixels} resolve to. */
export interface DecodedImage {
  /**
   * The pixel values as float32, in the file's units (0–255 for 8 bits, 0–65535 for 16, 0–1 for
   * 1 bit), `[height, width]` for one channel, else `[height, width, channels]`. The caller
   * disposes it.
   */
  image: tf.Tensor;
  /** Pixels across. */
  width: number;
  /** Pixels down. */
  height: number;
  /** Channels in `image`: 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** Bits per sample in the file (1, 2, 4, 8 or 16 for PNG; 8 for JPEG). */
  bitDepth: number;
  /** The file format. */
  format: 'png' | 'jpeg' | 'pixels';
}

/** Options of {@link readImage} and {@link imageFromPixels}. */
export interface ReadImageOptions {
  /**
   * The channels wanted: `'keep'` (the default: as stored; palettes expand to RGB or RGBA),
   * `'grey'` (one channel; colour converted by ITU-R 601-2 luma as Pillow's `convert('L')` does,
   * alpha dropped), `'rgb'` (three channels; grey repeated, alpha dropped).
   */
  channels?: 'keep' | 'grey' | 'rgb';
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples of 1, 2 or 4 bits (grey PNG rows, most significant bits first, rows byte-aligned). */
function unpackBits(packed: ArrayLike<number>, width: number, height: number, depth: number) {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)]!;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Pillow's convert('L'): (R·19595 + G·38470 + B·7471 + 2^15) >> 16 for 8 bits. */
function luma(r: number, g: number, b: number, eightBit: boolean): number {
  return eightBit
    ? (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
    : (r * 299 + g * 587 + b * 114) / 1000;
}

/** Applies the `channels` option to interleaved samples. */
function toTensor(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  bitDepth: number,
  format: DecodedImage['format'],
  wanted: ReadImageOptions['channels'],
): DecodedImage {
  const n = width * height;
  let out: Float32Array;
  let c = channels;
  if (wanted === 'grey' && channels > 1) {
    out = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      out[p] =
        channels <= 2
          ? data[p * channels]!
          : luma(
              data[p * channels]!,
              data[p * channels + 1]!,
              data[p * channels + 2]!,
              bitDepth <= 8,
            );
    }
    c = 1;
  } else if (wanted === 'rgb' && channels !== 3) {
    out = new Float32Array(n * 3);
    for (let p = 0; p < n; p++) {
      for (let k = 0; k < 3; k++)
        out[p * 3 + k] = channels <= 2 ? data[p * channels]! : data[p * channels + k]!;
    }
    c = 3;
  } else {
    out = Float32Array.from(data as ArrayLike<number>);
  }
  return {
    image: c === 1 ? tf.tensor2d(out, [height, width]) : tf.tensor3d(out, [height, width, c]),
    width,
    height,
    channels: c,
    bitDepth,
    format,
  };
}

function checkChannels(fn: string, options: ReadImageOptions | undefined) {
  return resolveOptions(fn, options, {
    channels: { constraint: { kind: 'string', oneOf: ['keep', 'grey', 'rgb'] }, default: 'keep' },
  }).channels;
}

/**
 * Reads a PNG (1 to 16 bits, grey, grey + alpha, RGB, RGBA, palette) or a JPEG (8-bit
 * baseline, extended or progressive; grey or colour) from its bytes; the format is detected from
 * the bytes.
 *
 * @param bytes - the file's bytes.
 * @param options - see {@link ReadImageOptions}.
 * @returns the pixels as a float32 tensor in the file's units, with size, channels and depth.
 * @throws {@link FormatError} for bytes that are neither PNG nor JPEG, a truncated or corrupt
 *   file, or a 12-bit or lossless JPEG; {@link ArgumentError} when `bytes` is not a `Uint8Array`
 *   or `channels` is unknown.
 * @example
 * ```ts
 * const { image } = await readImage(await readFile('chest-xray.png'), { channels: 'grey' });
 * image.shape; // [height, width]
 * ```
 */
export async function readImage(
  bytes: Uint8Array,
  options: ReadImageOptions = {},
): Promise<DecodedImage> {
  const fn = 'readImage';
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`bytes\` must be a Uint8Array of the file. Received: ${describeValue(bytes)}.`,
    );
  }
  const wanted = checkChannels(fn, options);
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const { decode, convertIndexedToRgb } = await import('fast-png');
    let png: ReturnType<typeof decode>;
    try {
      png = decode(bytes);
    } catch (e) {
      throw new FormatError(`${fn}: the PNG is corrupt or truncated: ${(e as Error).message}.`, {
        cause: e,
      });
    }
    let data: ArrayLike<number> = png.data;
    let channels = png.channels;
    if (png.depth < 8 && !png.palette)
      data = unpackBits(png.data, png.width, png.height, png.depth);
    if (png.palette) {
      data = convertIndexedToRgb(png);
      channels = data.length / (png.width * png.height); // RGB, or RGBA with transparency
    }
    if (data.length !== png.width * png.height * channels) {
      throw new FormatError(`${fn}: the PNG's pixel data does not match its size; it is corrupt.`);
    }
    return toTensor(data, png.width, png.height, channels, png.depth, 'png', wanted);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const { width, height, components, data } = await decodeJpeg8(bytes, fn);
    return toTensor(data, width, height, components, 8, 'jpeg', wanted);
  }
  throw new FormatError(
    `${fn}: the bytes are neither PNG nor JPEG (they start ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}).`,
  );
}

/** Pixels tfjs can read: an image element, bitmap, canvas, video, ImageData or `{ width, height, data }`. */
export type PixelSource = Parameters<typeof tf.browser.fromPixels>[0];

/**
 * Reads an image already in the browser (an `<img>` that has loaded, an `ImageBitmap`, a canvas,
 * a video frame, `ImageData`, or `{ width, height, data }` RGBA bytes) through
 * `tf.browser.fromPixels`, with the same output and channel options as {@link readImage}.
 *
 * @throws {@link ArgumentError} for a missing source or an unknown `channels`.
 * @example
 * ```ts
 * const { image } = await imageFromPixels(document.querySelector('img')!, { channels: 'grey' });
 * ```
 */
export async function imageFromPixels(
  source: PixelSource,
  options: ReadImageOptions = {},
): Promise<DecodedImage> {
  const fn = 'imageFromPixels';
  const wanted = checkChannels(fn, options);
  if (source == null || typeof source !== 'object') {
    throw new ArgumentError(
      `${fn}: \`source\` must be an image, bitmap, canvas, video or ImageData. Received: ${describeValue(source)}.`,
    );
  }
  const rgba = tf.browser.fromPixels(source, 4);
  try {
    const [height, width] = rgba.shape;
    const data = await rgba.data();
    return toTensor(data, width!, height!, 4, 8, 'pixels', wanted);
  } finally {
    rgba.dispose();
  }
}
