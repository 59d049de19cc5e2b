/**
 * A DICOM series (one file per slice) to a volume: slices sorted by their position along the
 * slice normal (ImagePositionPatient projected on the cross product of the
 * ImageOrientationPatient row and column directions), stacked `[slices, rows, columns]`, with
 * the voxel spacing (slice spacing from the sorted positions, then PixelSpacing).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, FormatError } from '../../core/errors.js';
import { type DicomAttributes, readDicom } from './dicom.js';

/** A volume assembled from a series. */
export interface DicomVolume {
  /** `[slices, rows, columns]` in the modality-LUT units (HU for CT), float32. The caller disposes it. */
  volume: tf.Tensor;
  /** Voxel spacing `[between slices, between rows, between columns]` in mm. */
  spacing: [number, number, number];
  /** Each slice's position along the normal (mm), ascending. */
  positions: number[];
  /** The attributes of the first slice (after sorting). */
  meta: DicomAttributes;
}

const vec = (v: unknown, n: number, what: string, fn: string): number[] => {
  if (
    !Array.isArray(v) ||
    v.length !== n ||
    !v.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new FormatError(`${fn}: every slice needs ${what} (${n} numbers).`);
  }
  return v as number[];
};

/**
 * Reads a series of single-frame DICOM slices into one volume.
 *
 * @param files - each slice file's bytes, in any order.
 * @returns the sorted, stacked volume with its spacing and slice positions.
 * @throws {@link FormatError} when slices lack ImagePositionPatient/ImageOrientationPatient,
 *   differ in size or orientation, share a position, or are multi-frame; {@link ArgumentError}
 *   for an empty list. Errors of the single files as {@link readDicom}.
 *
 * @example
 * ```ts
 * const { volume, spacing } = await readDicomSeries(await Promise.all(paths.map((p) => readFile(p))));
 * ```
 */
export async function readDicomSeries(files: readonly Uint8Array[]): Promise<DicomVolume> {
  const fn = 'readDicomSeries';
  if (!Array.isArray(files) || files.length === 0)
    throw new ArgumentError(`${fn}: \`files\` must be a non-empty array of file bytes.`);
  const slices: { image: tf.Tensor; meta: DicomAttributes; position: number }[] = [];
  try {
    let normal: number[] | undefined;
    let orientation: number[] | undefined;
    for (const bytes of files) {
      const { image, meta } = await readDicom(bytes);
      slices.push({ image, meta, position: 0 });
      if (image.rank !== 2)
        throw new FormatError(
          `${fn}: a slice has shape [${image.shape.join(', ')}]; a series is built from single-frame grayscale slices.`,
        );
      const o = vec(meta.ImageOrientationPatient, 6, 'ImageOrientationPatient', fn);
      const p = vec(meta.ImagePositionPatient, 3, 'ImagePositionPatient', fn);
      if (!orientation) {
        orientation = o;
        const [r, c] = [o.slice(0, 3), o.slice(3)];
        normal = [
          r[1]! * c[2]! - r[2]! * c[1]!,
          r[2]! * c[0]! - r[0]! * c[2]!,
          r[0]! * c[1]! - r[1]! * c[0]!,
        ];
      } else if (o.some((v, i) => Math.abs(v - orientation![i]!) > 1e-4)) {
        throw new FormatError(
          `${fn}: the slices' ImageOrientationPatient differ; they are not one series.`,
        );
      }
      slices[slices.length - 1]!.position =
        p[0]! * normal![0]! + p[1]! * normal![1]! + p[2]! * normal![2]!;
    }
    const [h, w] = slices[0]!.image.shape as [number, number];
    if (slices.some((s) => s.image.shape[0] !== h || s.image.shape[1] !== w)) {
      throw new FormatError(`${fn}: the slices differ in size; they are not one series.`);
    }
    slices.sort((a, b) => a.position - b.position);
    for (let i = 1; i < slices.length; i++) {
      if (Math.abs(slices[i]!.position - slices[i - 1]!.position) < 1e-6) {
        throw new FormatError(
          `${fn}: two slices share the position ${slices[i]!.position.toFixed(3)} mm along the normal.`,
        );
      }
    }
    const positions = slices.map((s) => s.position);
    const gaps = positions.slice(1).map((p, i) => p - positions[i]!);
    const sliceSpacing =
      gaps.length > 0
        ? gaps.reduce((a, b) => a + b, 0) / gaps.length
        : Number(slices[0]!.meta.SliceThickness ?? 1);
    const pixel = Array.isArray(slices[0]!.meta.PixelSpacing)
      ? (slices[0]!.meta.PixelSpacing as number[])
      : [1, 1];
    const volume = tf.stack(slices.map((s) => s.image));
    return {
      volume,
      spacing: [sliceSpacing, pixel[0]!, pixel[1]!],
      positions,
      meta: slices[0]!.meta,
    };
  } finally {
    tf.dispose(slices.map((s) => s.image));
  }
}
