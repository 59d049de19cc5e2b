/**
 * Part 2 of the demo: medical image data with tfjs-medkit/vision on bundled real files
 * (pydicom's and nibabel's test images): a CT slice in Hounsfield units with CT windows and
 * resampling; compressed DICOM (JPEG-LS and JPEG 2000, lossless) against the uncompressed file;
 * a five-slice CT series stacked by position; an MRI NIfTI volume reoriented to RAS+ and
 * normalised; and a seeded augmentation applied to an image and its mask with the same draws.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import {
  createAugmentation,
  normalizeIntensity,
  readDicom,
  readDicomSeries,
  readNifti,
  reorientToCanonical,
  resampleToSpacing,
  resizeWithPadOrCrop,
  windowIntensity,
} from 'tfjs-medkit/vision';

const data = (name) => new URL(`./data/${name}`, import.meta.url);
const bytes = async (name) => new Uint8Array(await readFile(data(name)));
const stats = async (t) => {
  const v = await t.data();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  return { min, max, mean: sum / v.length };
};
const fmt = (s, d = 1) => `${s.min.toFixed(d)} … ${s.max.toFixed(d)} (mean ${s.mean.toFixed(d)})`;

/** Runs part 2 and disposes every tensor it made. */
export async function medicalImagesDemo() {
  console.log('\nMedical images (DICOM, NIfTI): loading, preprocessing, augmentation');
  // CT slice: Hounsfield units, windows, resampling to 1 mm
  const ct = await readDicom(await bytes('dicom/CT_small.dcm'));
  const spacing = ct.meta.PixelSpacing.map(Number);
  console.log(
    `CT ${ct.meta.Rows}×${ct.meta.Columns}, spacing ${spacing.map((s) => s.toFixed(3)).join(' × ')} mm: HU ${fmt(await stats(ct.image))}`,
  );
  for (const preset of ['lung', 'mediastinum', 'bone']) {
    const w = windowIntensity(ct.image, preset);
    const inside = tf.tidy(() => tf.mean(tf.logicalAnd(tf.greater(w, 0), tf.less(w, 1))));
    console.log(
      `  ${preset} window: ${((await inside.data())[0] * 100).toFixed(1)}% of pixels between black and white`,
    );
    tf.dispose([w, inside]);
  }
  const iso = resampleToSpacing(ct.image, { spacing, targetSpacing: [1, 1] });
  console.log(`  resampled to 1 mm: [${ct.image.shape}] → [${iso.shape}]`);

  // compressed transfer syntaxes decode to the same pixels
  const mr = await readDicom(await bytes('dicom/MR_small.dcm'));
  for (const name of ['MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm']) {
    const c = await readDicom(await bytes(`dicom/${name}`));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(c.image, mr.image))));
    console.log(
      `${name} (${c.transferSyntax}): [${c.image.shape}], largest difference from the uncompressed file ${(await diff.data())[0]}`,
    );
    tf.dispose([c.image, diff]);
  }

  // a series in shuffled file order, stacked along the slice normal
  const files = (await readdir(data('dicom/series'))).filter((f) => f.endsWith('.dcm')).sort();
  const series = await readDicomSeries(
    await Promise.all(files.map((f) => bytes(`dicom/series/${f}`))),
  );
  console.log(
    `CT series: ${files.length} files → volume [${series.volume.shape}], spacing ${series.spacing.map((s) => s.toFixed(2)).join(' × ')} mm, slice positions ${series.positions.map((p) => p.toFixed(1)).join(', ')}`,
  );

  // MRI NIfTI: canonical orientation, z-score over the head, fixed size
  const nii = await readNifti(await bytes('anatomical.nii'));
  const ras = reorientToCanonical(nii);
  const z = normalizeIntensity(ras.volume, { nonzero: true });
  const fixed = resizeWithPadOrCrop(z, [32, 32, 32]);
  console.log(
    `MRI NIfTI [${nii.volume.shape}] (${nii.affineSource}, voxels ${nii.spacing.map((s) => s.toFixed(2)).join(' × ')} mm) → RAS+ [${ras.volume.shape}] → z-scored over non-zero voxels ${fmt(await stats(z), 2)} → [${fixed.shape}]`,
  );

  // augmentation: the same random draws for the image and its body mask
  const image = tf.tidy(() =>
    tf.expandDims(tf.expandDims(windowIntensity(ct.image, 'mediastinum'), 0), -1),
  );
  const mask = tf.tidy(() =>
    tf.cast(tf.greater(tf.expandDims(tf.expandDims(ct.image, 0), -1), -300), 'float32'),
  );
  const transforms = [
    { kind: 'flip', axes: [1], probability: 0.5 },
    { kind: 'rotate', degrees: [-20, 20] },
    { kind: 'zoom', range: [0.9, 1.1] },
    { kind: 'elastic', magnitude: 2, probability: 0.5 },
    { kind: 'gamma', range: [0.8, 1.25] },
  ];
  const a = createAugmentation(transforms, { seed: 3 }).withMask(image, mask);
  const again = createAugmentation(transforms, { seed: 3 }).withMask(image, mask);
  const same = tf.tidy(() => tf.max(tf.abs(tf.sub(a.image, again.image))));
  const labels = [...new Set(await a.mask.data())].sort();
  const body = (await stats(mask)).mean;
  const moved = (await stats(a.mask)).mean;
  console.log(
    `augmented slice + body mask: mask labels {${labels.join(', ')}}, body ${(body * 100).toFixed(1)}% → ${(moved * 100).toFixed(1)}% of the frame; the same seed repeats (largest difference ${(await same.data())[0]})`,
  );
  tf.dispose([
    ct.image,
    iso,
    mr.image,
    series.volume,
    nii.volume,
    ras.volume,
    z,
    fixed,
    image,
    mask,
    a.image,
    a.mask,
    again.image,
    again.mask,
    same,
  ]);
}
