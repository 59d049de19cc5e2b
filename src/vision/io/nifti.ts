/**
 * Reading NIfTI-1 and NIfTI-2 images (`.nii`, `.nii.gz`, and `.hdr`/`.img` pairs, gzip detected
 * from the bytes; either byte order): the voxel values scaled by scl_slope/scl_inter, the voxel sizes, and the voxel-to-world
 * affine chosen by nibabel's rule (sform when its code is set, else qform, else the Analyze
 * base affine). Bytes in, so it works in Node, Deno and browsers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, FormatError } from '../../core/errors.js';
import { gunzip, isGzip } from '../../core/gzip.js';
import { resolveOptions } from '../../core/validate.js';

/** A NIfTI image as {@link readNifti} returns it. */
export interface NiftiImage {
  /**
   * The scaled voxel values as float32, shaped like nibabel's array: `[nx, ny, nz, …]` with
   * `volume[i][j][k]` the voxel at (i, j, k) (the file's x-fastest order transposed to tfjs's
   * row-major order). The caller disposes it.
   */
  volume: tf.Tensor;
  /** The voxel size along each dimension (pixdim[1…ndim]; mm, and seconds for time). */
  spacing: number[];
  /** The 4×4 voxel-to-world (RAS+ mm) matrix, by nibabel's rule. */
  affine: number[][];
  /** Which affine that is: `'sform'`, `'qform'` or `'base'`. */
  affineSource: 'sform' | 'qform' | 'base';
  /** The header fields most users need. */
  header: NiftiHeader;
}

/** Header fields of a NIfTI image. */
export interface NiftiHeader {
  /** 1 or 2. */
  version: 1 | 2;
  /** Whether the file is little-endian. */
  littleEndian: boolean;
  /** The shape, dim[1…dim[0]]. */
  shape: number[];
  /** The NIfTI datatype code (4 = int16, 16 = float32, …). */
  datatype: number;
  /** scl_slope (0 or NaN: no scaling). */
  sclSlope: number;
  /** scl_inter. */
  sclInter: number;
  /** qform_code. */
  qformCode: number;
  /** sform_code. */
  sformCode: number;
  /** The free-text description. */
  description: string;
}

/** Options of {@link readNifti}. */
export interface ReadNiftiOptions {
  /**
   * The `.img` file's bytes (plain or gzip), when `bytes` is the header (`.hdr`) of a
   * `.hdr`/`.img` pair (magic `ni1` / `ni2`); the voxels start at vox_offset in it.
   */
  image?: Uint8Array;
}

type Reader = (view: DataView, offset: number, little: boolean) => number;

const DATATYPES: Record<number, { bytes: number; read: Reader; name: string }> = {
  2: { bytes: 1, name: 'uint8', read: (v, o) => v.getUint8(o) },
  4: { bytes: 2, name: 'int16', read: (v, o, le) => v.getInt16(o, le) },
  8: { bytes: 4, name: 'int32', read: (v, o, le) => v.getInt32(o, le) },
  16: { bytes: 4, name: 'float32', read: (v, o, le) => v.getFloat32(o, le) },
  64: { bytes: 8, name: 'float64', read: (v, o, le) => v.getFloat64(o, le) },
  256: { bytes: 1, name: 'int8', read: (v, o) => v.getInt8(o) },
  512: { bytes: 2, name: 'uint16', read: (v, o, le) => v.getUint16(o, le) },
  768: { bytes: 4, name: 'uint32', read: (v, o, le) => v.getUint32(o, le) },
  1024: { bytes: 8, name: 'int64', read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  1280: { bytes: 8, name: 'uint64', read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

/** The rotation of a NIfTI quaternion (b, c, d; a from the unit norm). */
function quaternionToMatrix(b: number, c: number, d: number): number[][] {
  let a = 1 - (b * b + c * c + d * d);
  a = a < 1e-7 ? 0 : Math.sqrt(a); // nibabel's threshold for a rounded-negative a
  if (a === 0) {
    const norm = Math.sqrt(b * b + c * c + d * d);
    b /= norm;
    c /= norm;
    d /= norm;
  }
  return [
    [a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c],
    [2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b],
    [2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b],
  ];
}

/**
 * Reads a NIfTI-1 or NIfTI-2 image from its bytes.
 *
 * @param bytes - the file's bytes (`.nii` or `.nii.gz`; gzip detected from the bytes), or the
 *   `.hdr` of a pair.
 * @param options - `image`: the `.img` bytes of a pair.
 * @returns the scaled volume (float32 tensor), voxel sizes, affine and header.
 * @throws {@link FormatError} for bytes that are not NIfTI, a truncated header or voxel data,
 *   a pair's header without its `image`, dimensions out of range, or an unsupported datatype
 *   (complex, RGB), before allocating anything large; {@link ArgumentError} when `bytes` or
 *   `image` is not a `Uint8Array`.
 *
 * @example
 * ```ts
 * const { volume, spacing, affine } = await readNifti(await readFile('t1.nii.gz'));
 * volume.shape; // [nx, ny, nz]
 * const pair = await readNifti(await readFile('t1.hdr'), { image: await readFile('t1.img') });
 * ```
 */
export async function readNifti(
  bytes: Uint8Array,
  options?: ReadNiftiOptions,
): Promise<NiftiImage> {
  const fn = 'readNifti';
  const { image } = resolveOptions(fn, options, { image: { constraint: { kind: 'any' } } });
  if (image !== undefined && !(image instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`image\` must be a Uint8Array of the .img file. Received: ${describeValue(image)}.`,
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`bytes\` must be a Uint8Array of the file. Received: ${describeValue(bytes)}.`,
    );
  }
  const raw = isGzip(bytes) ? await gunzip(bytes, fn) : bytes;
  if (raw.length < 348)
    throw new FormatError(
      `${fn}: ${raw.length} bytes are too few for a NIfTI header (348 or 540).`,
    );
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const sizeLE = view.getInt32(0, true);
  const sizeBE = view.getInt32(0, false);
  let version: 1 | 2;
  let le: boolean;
  if (sizeLE === 348 || sizeBE === 348) {
    version = 1;
    le = sizeLE === 348;
  } else if (sizeLE === 540 || sizeBE === 540) {
    version = 2;
    le = sizeLE === 540;
  } else {
    throw new FormatError(
      `${fn}: the header size is ${sizeLE}, not 348 (NIfTI-1) or 540 (NIfTI-2); this is not a NIfTI file.`,
    );
  }
  const headerSize = version === 1 ? 348 : 540;
  if (raw.length < headerSize)
    throw new FormatError(
      `${fn}: the file ends inside its ${headerSize}-byte header (${raw.length} bytes).`,
    );
  const text = (offset: number, length: number) => {
    let s = '';
    for (let i = 0; i < length; i++) {
      const c = raw[offset + i]!;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  };
  const magic = version === 1 ? text(344, 4) : text(4, 4);
  const pair = magic === `ni${version}`;
  if (!pair && magic !== `n+${version}`) {
    throw new FormatError(
      `${fn}: the magic string is ${describeValue(magic)}, not 'n+${version}' (one file) or 'ni${version}' (a .hdr/.img pair).`,
    );
  }
  if (pair && image === undefined) {
    throw new FormatError(
      `${fn}: this is the header of a .hdr/.img pair (magic 'ni${version}'); pass the .img file's bytes as \`image\`.`,
    );
  }
  if (image !== undefined && !(image instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`image\` must be a Uint8Array of the .img file. Received: ${describeValue(image)}.`,
    );
  }
  if (image !== undefined && !pair) {
    throw new ArgumentError(
      `${fn}: \`image\` is for the header of a .hdr/.img pair; this is a single-file NIfTI (magic 'n+${version}').`,
    );
  }
  const i16 = (o: number) => view.getInt16(o, le);
  const i32 = (o: number) => view.getInt32(o, le);
  const i64 = (o: number) => Number(view.getBigInt64(o, le));
  const f32 = (o: number) => view.getFloat32(o, le);
  const f64 = (o: number) => view.getFloat64(o, le);
  const dim = Array.from({ length: 8 }, (_, i) =>
    version === 1 ? i16(40 + 2 * i) : i64(16 + 8 * i),
  );
  const pixdim = Array.from({ length: 8 }, (_, i) =>
    version === 1 ? f32(76 + 4 * i) : f64(104 + 8 * i),
  );
  const datatype = version === 1 ? i16(70) : i16(12);
  const voxOffset = version === 1 ? f32(108) : i64(168);
  const slope = version === 1 ? f32(112) : f64(176);
  const intercept = version === 1 ? f32(116) : f64(184);
  const qformCode = version === 1 ? i16(252) : i32(344);
  const sformCode = version === 1 ? i16(254) : i32(348);
  const quatern = [0, 1, 2].map((i) => (version === 1 ? f32(256 + 4 * i) : f64(352 + 8 * i)));
  const qoffset = [0, 1, 2].map((i) => (version === 1 ? f32(268 + 4 * i) : f64(376 + 8 * i)));
  const srow = [0, 1, 2].map((r) =>
    [0, 1, 2, 3].map((c) =>
      version === 1 ? f32(280 + 16 * r + 4 * c) : f64(400 + 32 * r + 8 * c),
    ),
  );
  const description = version === 1 ? text(148, 80) : text(240, 80);
  const ndim = dim[0]!;
  if (!(ndim >= 1 && ndim <= 7))
    throw new FormatError(`${fn}: dim[0] is ${ndim}; NIfTI images have 1 to 7 dimensions.`);
  const shape = dim.slice(1, ndim + 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new FormatError(`${fn}: the dimensions ${JSON.stringify(shape)} must all be ≥ 1.`);
  }
  const type = DATATYPES[datatype];
  if (!type) {
    throw new FormatError(
      `${fn}: datatype ${datatype} is not supported (supported: ${Object.entries(DATATYPES)
        .map(([k, v]) => `${k} ${v.name}`)
        .join(', ')}; complex and RGB images are not).`,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const start = Math.round(voxOffset);
  if (pair ? !(start >= 0) : !(start >= headerSize) && !(start === 0 && version === 1)) {
    throw new FormatError(`${fn}: vox_offset ${voxOffset} points inside the header.`);
  }
  const first = pair ? start : start === 0 ? 352 : start;
  const needed = count * type.bytes;
  // a pair's voxels are in the .img file; gunzip only after the header has been checked
  const data = pair ? (isGzip(image!) ? await gunzip(image!, fn) : image!) : raw;
  if (!Number.isSafeInteger(needed) || first + needed > data.length) {
    throw new FormatError(
      `${fn}: the header declares ${shape.join('×')} ${type.name} voxels (${needed} bytes from byte ${first}) but the ${pair ? '.img file' : 'file'} has ${Math.max(0, data.length - first)} bytes of data; it is truncated or corrupt.`,
    );
  }
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // scale, and reorder from the file's x-fastest layout to row-major [nx, ny, nz, …]
  const scaled = Number.isFinite(slope) && slope !== 0;
  const values = new Float32Array(count);
  const strides = new Array<number>(ndim);
  strides[ndim - 1] = 1;
  for (let d = ndim - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  const index = new Array<number>(ndim).fill(0);
  let target = 0;
  for (let f = 0; f < count; f++) {
    const v = type.read(dataView, first + f * type.bytes, le);
    values[target] = scaled ? v * slope + intercept : v;
    // advance the file index (x fastest) and the row-major target with it
    for (let d = 0; d < ndim; d++) {
      index[d]!++;
      target += strides[d]!;
      if (index[d]! < shape[d]!) break;
      target -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  const spacing = pixdim.slice(1, ndim + 1);
  let affine: number[][];
  let affineSource: NiftiImage['affineSource'];
  if (sformCode > 0) {
    affine = [...srow, [0, 0, 0, 1]];
    affineSource = 'sform';
  } else if (qformCode > 0) {
    const R = quaternionToMatrix(quatern[0]!, quatern[1]!, quatern[2]!);
    const zooms = [pixdim[1]!, pixdim[2]!, pixdim[3]!].map((z) => (z === 0 ? 1 : z));
    const qfac = pixdim[0]! < 0 ? -1 : 1;
    zooms[2]! *= qfac;
    affine = R.map((row, r) => [...row.map((v, c) => v * zooms[c]!), qoffset[r]!]);
    affine.push([0, 0, 0, 1]);
    affineSource = 'qform';
  } else {
    const zooms = [0, 1, 2].map((i) => (i < ndim ? pixdim[i + 1]! || 1 : 1));
    const dims = [0, 1, 2].map((i) => (i < ndim ? shape[i]! : 1));
    zooms[0] = -zooms[0]!;
    affine = [0, 1, 2].map((r) =>
      [0, 1, 2].map((c) => (r === c ? zooms[r]! : 0)).concat(-((dims[r]! - 1) / 2) * zooms[r]!),
    );
    affine.push([0, 0, 0, 1]);
    affineSource = 'base';
  }
  return {
    volume: tf.tensor(values, shape, 'float32'),
    spacing,
    affine,
    affineSource,
    header: {
      version,
      littleEndian: le,
      shape,
      datatype,
      sclSlope: slope,
      sclInter: intercept,
      qformCode,
      sformCode,
      description,
    },
  };
}
