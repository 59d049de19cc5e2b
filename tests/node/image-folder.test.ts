/**
 * loadImageFolder: a CSV of labels over DICOM files; the class-balance report; a split keeping
 * each patient's images together; streamed batches that trainClassifier trains on, leaking
 * nothing; clear errors for a bad CSV.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { MedkitError } from '../../src/core/index.js';
import { loadImageFolder } from '../../src/node/index.js';
import { createSimpleCnn, trainClassifier } from '../../src/vision/index.js';
import '../helpers/backends.js';

const fixtures = new URL('../fixtures/dicom/', import.meta.url).pathname;
const files = [
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_RLE.dcm',
  'MR_small_padded.dcm',
  'CT_small.dcm',
];
let dir: string;

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'medkit-folder-'));
  const rows = ['file,label,patient'];
  files.forEach((f, i) => {
    for (let copy = 0; copy < 2; copy++) {
      const name = `img${i}_${copy}.dcm`;
      copyFileSync(join(fixtures, f), join(dir, name));
      rows.push(`${name},${i % 2 === 0 ? 'benign' : 'malignant'},p${i}`);
    }
  });
  writeFileSync(join(dir, 'labels.csv'), `${rows.join('\n')}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadImageFolder', () => {
  it('reads the CSV: classes, entries, the class-balance report', async () => {
    const data = await loadImageFolder(dir);
    expect(data.classes).toEqual(['benign', 'malignant']);
    expect(data.entries).toHaveLength(12);
    expect(data.classCounts()).toEqual([6, 6]);
    const img = await data.read(data.entries[0]!);
    expect(img.shape).toEqual([64, 64]);
    img.dispose();
  });

  it('splits by patient: no patient on both sides', async () => {
    const data = await loadImageFolder(dir);
    const { train, test } = data.split({ testSize: 0.34, seed: 2 });
    const trainPatients = new Set(train.entries.map((e) => e.patient));
    for (const e of test.entries) expect(trainPatients.has(e.patient)).toBe(false);
    expect(train.entries.length + test.entries.length).toBe(12);
  });

  it('streams batches that trainClassifier trains on, leaking nothing', async () => {
    const data = await loadImageFolder(dir);
    // every image to 16×16×1 in [0, 1] (the CT is 128×128, the MRs 64×64)
    const transform = (image: tf.Tensor) => {
      const resized = tf.image.resizeBilinear(tf.expandDims(image, -1) as tf.Tensor3D, [16, 16]);
      const lo = tf.min(resized);
      return tf.div(tf.sub(resized, lo), tf.maximum(tf.sub(tf.max(resized), lo), 1e-6));
    };
    const model = createSimpleCnn({
      inputShape: [16, 16, 1],
      numClasses: 2,
      filters: [2, 4],
      denseUnits: 4,
      seed: 1,
    });
    const before = tf.memory().numTensors;
    const result = await trainClassifier(
      model,
      data.batches({ batchSize: 4, seed: 1, transform }),
      { epochs: 2 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(result.history.loss).toHaveLength(2);
    expect(result.history.loss.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('reads PNG, JPEG and NIfTI .hdr/.img pairs too, and names a type it does not read', async () => {
    const mixed = mkdtempSync(join(tmpdir(), 'medkit-mixed-'));
    try {
      const root = new URL('../fixtures/', import.meta.url).pathname;
      copyFileSync(join(root, 'images/grey8.png'), join(mixed, 'a.png'));
      copyFileSync(join(root, 'images/rgb444.jpg'), join(mixed, 'b.JPG'));
      copyFileSync(join(root, 'nifti/pair_int16_scaled.hdr'), join(mixed, 'c.hdr'));
      copyFileSync(join(root, 'nifti/pair_int16_scaled.img'), join(mixed, 'c.img'));
      writeFileSync(join(mixed, 'd.tif'), 'x');
      writeFileSync(join(mixed, 'labels.csv'), 'file,label\na.png,0\nb.JPG,1\nc.hdr,0\nd.tif,1\n');
      const data = await loadImageFolder(mixed);
      const shapes = [];
      for (const e of data.entries.slice(0, 3)) {
        const t = await data.read(e);
        shapes.push(t.shape);
        t.dispose();
      }
      expect(shapes).toEqual([
        [9, 13],
        [9, 13, 3],
        [6, 5, 4],
      ]);
      await expect(data.read(data.entries[3]!)).rejects.toThrow(/not a file type it reads/);
    } finally {
      rmSync(mixed, { recursive: true, force: true });
    }
  });

  it('refuses a CSV without the columns, with empty cells, or with one class', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'medkit-bad-'));
    try {
      writeFileSync(join(bad, 'labels.csv'), 'name,label\na.dcm,1\n');
      await expect(loadImageFolder(bad)).rejects.toThrow(/no column "file"/);
      writeFileSync(join(bad, 'labels.csv'), 'file,label\na.dcm,\n');
      await expect(loadImageFolder(bad)).rejects.toThrow(/empty file or label/);
      writeFileSync(join(bad, 'labels.csv'), 'file,label\na.dcm,1\nb.dcm,1\n');
      await expect(loadImageFolder(bad)).rejects.toThrow(MedkitError);
      await expect(loadImageFolder(join(bad, 'missing'))).rejects.toThrow(
        /cannot read the labels file/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
