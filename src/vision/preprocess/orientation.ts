/**
 * Reorienting a volume to the closest canonical orientation, RAS+ (with increasing index the
 * array axes run towards the patient's left, anterior and superior, as nibabel's
 * `as_closest_canonical`): a permutation and flips of the first three axes chosen from the
 * affine, with the affine updated so that every voxel keeps its world position.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { formatShape, isTensor } from '../../core/tensors.js';

/** A volume with its geometry (as `readNifti` returns it). */
export interface OrientedVolume {
  /** `[nx, ny, nz, …]`. */
  volume: tf.Tensor;
  /** The 4×4 voxel-to-world matrix. */
  affine: number[][];
  /** Voxel sizes, one per dimension. */
  spacing: number[];
}

/**
 * Reorients a volume so that its array axes run, with increasing index, towards the world's +x
 * (left), +y (anterior) and +z (superior) axes as closely as the affine allows: each array axis
 * is matched to the world axis its affine column points along most (largest magnitude first),
 * then axes are permuted and flipped. Data beyond the third axis (time) stay as they are.
 *
 * @param image - `{ volume, affine, spacing }` (e.g. `readNifti`'s result).
 * @returns a new volume (the caller disposes it), the updated affine and spacing.
 * @throws {@link ShapeError} for fewer than three dimensions; {@link ArgumentError} for a
 *   singular affine.
 *
 * @example
 * ```ts
 * const ras = reorientToCanonical(await readNifti(bytes)); // ras.affine is close to diagonal, positive
 * ```
 */
export function reorientToCanonical(image: OrientedVolume): OrientedVolume {
  const fn = 'reorientToCanonical';
  const { volume, affine, spacing } = image ?? ({} as OrientedVolume);
  if (!isTensor(volume) || volume.rank < 3) {
    throw new ShapeError(
      `${fn}: \`volume\` must have at least three dimensions. Received: ${isTensor(volume) ? formatShape(volume.shape) : typeof volume}.`,
    );
  }
  if (
    !Array.isArray(affine) ||
    affine.length < 3 ||
    !affine.slice(0, 3).every((r) => Array.isArray(r) && r.length === 4)
  ) {
    throw new ArgumentError(`${fn}: \`affine\` must be a 4×4 matrix.`);
  }
  // greedy matching: strongest |A[world][axis]| first
  const pairs: [number, number, number][] = [];
  for (let w = 0; w < 3; w++)
    for (let j = 0; j < 3; j++) pairs.push([Math.abs(affine[w]![j]!), w, j]);
  pairs.sort((a, b) => b[0] - a[0]);
  const worldOf = [-1, -1, -1];
  const usedWorld = [false, false, false];
  for (const [size, w, j] of pairs) {
    if (size === 0 || worldOf[j]! >= 0 || usedWorld[w]) continue;
    worldOf[j] = w;
    usedWorld[w] = true;
  }
  if (worldOf.some((w) => w < 0))
    throw new ArgumentError(`${fn}: the affine is singular; no orientation can be read from it.`);
  const perm = [0, 1, 2].map((w) => worldOf.indexOf(w)); // new axis w ← old axis perm[w]
  const flips = perm.map((j) => affine[worldOf[j]!]![j]! < 0);
  const rest = volume.shape.slice(3).map((_, i) => i + 3);
  const out = tf.tidy(() => {
    let v = tf.transpose(volume, [...perm, ...rest]);
    const axes = flips.flatMap((f, i) => (f ? [i] : []));
    if (axes.length > 0) v = tf.reverse(v, axes);
    return v;
  });
  const newAffine = affine.map((row) => [...row]);
  for (let w = 0; w < 3; w++) {
    const j = perm[w]!;
    const s = flips[w] ? -1 : 1;
    for (let r = 0; r < 3; r++) newAffine[r]![w] = s * affine[r]![j]!;
  }
  for (let w = 0; w < 3; w++) {
    if (!flips[w]) continue;
    const j = perm[w]!;
    const n = volume.shape[j]!;
    for (let r = 0; r < 3; r++) newAffine[r]![3]! += affine[r]![j]! * (n - 1);
  }
  const newSpacing = [...perm.map((j) => spacing[j]!), ...spacing.slice(3)];
  return { volume: out, affine: newAffine, spacing: newSpacing };
}
