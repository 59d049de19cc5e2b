/**
 * A labelled image dataset from a folder of DICOM and NIfTI files and a CSV of labels (Node and
 * Deno): the class-balance report, a split that keeps every image of a patient on one side, and
 * streamed batches (files read as each batch is needed) that `trainClassifier` trains on, so a
 * dataset larger than memory trains.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, FormatError } from '../core/errors.js';
import { Random, type Seed } from '../core/random.js';
import { splitIndices } from '../core/split.js';
import { resolveOptions } from '../core/validate.js';
import { readDicom } from '../vision/io/dicom.js';
import { readImage } from '../vision/io/image.js';
import { readNifti } from '../vision/io/nifti.js';

/** One image of the dataset. */
export interface ImageEntry {
  /** The file's path relative to the folder. */
  file: string;
  /** The class index (position of the label in `classes`). */
  label: number;
  /** The patient (or study) id, when the CSV has one. */
  patient?: string;
}

/** Turns a file's image (as read) into one sample of the model's input shape. */
export type SampleTransform = (image: tf.Tensor, entry: ImageEntry) => tf.Tensor;

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** The CSV of labels, relative to the folder. Defaults to `'labels.csv'`. */
  labelsFile?: string;
  /** The CSV column of file names. Defaults to `'file'`. */
  fileColumn?: string;
  /** The CSV column of labels. Defaults to `'label'`. */
  labelColumn?: string;
  /** The CSV column of patient ids (optional). Defaults to `'patient'` when present. */
  patientColumn?: string;
}

/** Options of {@link ImageFolderDataset.batches}. */
export interface FolderBatchOptions {
  /** Samples per batch. Defaults to 16. */
  batchSize?: number;
  /** Shuffle each epoch with `seed`. Defaults to `true`. */
  shuffle?: boolean;
  /** The shuffle seed (each epoch draws a new order from it). Defaults to 0. */
  seed?: Seed;
  /** Brings each image to the model's input shape. Defaults to adding a channel axis. */
  transform?: SampleTransform;
}

/** Options of {@link ImageFolderDataset.split}. */
export interface FolderSplitOptions {
  /** The held-out share. Defaults to 0.2. */
  testSize?: number;
  /** The seed. Defaults to 0. */
  seed?: Seed;
}

/** The two sides of a folder split. */
export interface FolderSplit {
  /** The training images. */
  train: ImageFolderDataset;
  /** The held-out images. */
  test: ImageFolderDataset;
}

/** One streamed batch. */
export interface FolderBatch {
  /** The samples, stacked. */
  x: tf.Tensor;
  /** Their class indices. */
  y: tf.Tensor1D;
}

/** A labelled folder of images; see {@link loadImageFolder}. */
export interface ImageFolderDataset {
  /** The folder. */
  directory: string;
  /** The class labels as written in the CSV, sorted; an entry's `label` indexes this. */
  classes: string[];
  /** The images. */
  entries: ImageEntry[];
  /** Images per class, in the order of `classes`. */
  classCounts(): number[];
  /** A seeded, stratified split keeping each patient's images on one side. */
  split(options?: FolderSplitOptions): FolderSplit;
  /** Streamed batches for `trainClassifier`: call once per epoch. */
  batches(options?: FolderBatchOptions): () => AsyncIterable<FolderBatch>;
  /** Reads one image (DICOM, NIfTI, PNG or JPEG, by extension) as a float32 tensor. */
  read(entry: ImageEntry): Promise<tf.Tensor>;
}

/** Splits one CSV line, honouring double quotes. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

async function readEntry(directory: string, entry: ImageEntry): Promise<tf.Tensor> {
  const path = join(directory, entry.file);
  const bytes = new Uint8Array(await readFile(path));
  const name = entry.file.toLowerCase();
  if (name.endsWith('.nii') || name.endsWith('.nii.gz')) return (await readNifti(bytes)).volume;
  if (name.endsWith('.hdr') || name.endsWith('.hdr.gz')) {
    // a .hdr/.img pair: the voxels are in the .img (or .img.gz) beside the header
    const image = new Uint8Array(await readFile(path.replace(/\.hdr(\.gz)?$/i, '.img$1')));
    return (await readNifti(bytes, { image })).volume;
  }
  if (/\.(png|jpe?g)$/.test(name)) return (await readImage(bytes)).image;
  if (name.endsWith('.dcm') || name.endsWith('.dicom') || !name.includes('.'))
    return (await readDicom(bytes)).image;
  throw new FormatError(
    `loadImageFolder: ${entry.file}: not a file type it reads (DICOM .dcm or no extension, NIfTI .nii/.nii.gz/.hdr, PNG, JPEG).`,
  );
}

function makeDataset(
  directory: string,
  classes: string[],
  entries: ImageEntry[],
): ImageFolderDataset {
  return {
    directory,
    classes,
    entries,
    classCounts: () => classes.map((_, c) => entries.filter((e) => e.label === c).length),
    split(options) {
      const { testSize, seed } = resolveOptions('split', options, {
        testSize: {
          constraint: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true },
          default: 0.2,
        },
        seed: { constraint: { kind: 'seed' }, default: 0 },
      });
      const groups = entries.every((e) => e.patient !== undefined)
        ? entries.map((e) => e.patient!)
        : undefined;
      const { train, test } = splitIndices(
        entries.map((e) => e.label),
        {
          testSize,
          seed,
          ...(groups ? { groups } : {}),
        },
      );
      return {
        train: makeDataset(
          directory,
          classes,
          train.map((i) => entries[i]!),
        ),
        test: makeDataset(
          directory,
          classes,
          test.map((i) => entries[i]!),
        ),
      };
    },
    read: (entry) => readEntry(directory, entry),
    batches(options) {
      const o = resolveOptions('batches', options, {
        batchSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 16 },
        shuffle: { constraint: { kind: 'boolean' }, default: true },
        seed: { constraint: { kind: 'seed' }, default: 0 },
        transform: { constraint: { kind: 'function' } },
      });
      const { batchSize } = o;
      const rng = new Random(o.seed);
      const transform: SampleTransform = o.transform ?? ((image) => tf.expandDims(image, -1));
      return () =>
        (async function* () {
          const order = !o.shuffle
            ? entries.map((_, i) => i)
            : Array.from(rng.permutation(entries.length));
          for (let s = 0; s < order.length; s += batchSize) {
            const chunk = order.slice(s, s + batchSize).map((i) => entries[i]!);
            const samples: tf.Tensor[] = [];
            try {
              for (const entry of chunk) {
                const image = await readEntry(directory, entry);
                const sample = tf.tidy(() => transform(image, entry));
                image.dispose();
                samples.push(sample);
              }
              const x = tf.stack(samples);
              const y = tf.tensor1d(
                chunk.map((e) => e.label),
                'int32',
              );
              yield { x, y };
            } finally {
              tf.dispose(samples);
            }
          }
        })();
    },
  };
}

/**
 * Loads a labelled image folder: a CSV (`file,label[,patient]` by default) naming DICOM or NIfTI
 * files in the folder and their labels. Files are read only when a batch or `read` needs them.
 *
 * @param directory - the folder.
 * @param options - see {@link ImageFolderOptions}.
 * @returns the dataset: classes, entries, class counts, a patient-grouped split, streamed batches.
 * @throws `FormatError` for a CSV without the named columns or with empty cells;
 *   `ArgumentError` for a single class.
 *
 * @example
 * ```ts
 * const data = await loadImageFolder('scans/');
 * data.classCounts(); // the class-balance report
 * const { train, test } = data.split({ testSize: 0.2, seed: 1 }); // no patient on both sides
 * await trainClassifier(model, train.batches({ batchSize: 8, transform: toInput }), { epochs: 10 });
 * ```
 */
export async function loadImageFolder(
  directory: string,
  options?: ImageFolderOptions,
): Promise<ImageFolderDataset> {
  const fn = 'loadImageFolder';
  const o = resolveOptions(fn, options, {
    labelsFile: { constraint: { kind: 'string' }, default: 'labels.csv' },
    fileColumn: { constraint: { kind: 'string' }, default: 'file' },
    labelColumn: { constraint: { kind: 'string' }, default: 'label' },
    patientColumn: { constraint: { kind: 'string' } },
  });
  const csvPath = join(directory, o.labelsFile);
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (e) {
    throw new FormatError(
      `${fn}: cannot read the labels file ${csvPath}: ${(e as Error).message}.`,
      { cause: e },
    );
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new FormatError(`${fn}: ${csvPath} has no data rows.`);
  const header = csvFields(lines[0]!);
  const col = (name: string, required: boolean): number => {
    const i = header.indexOf(name);
    if (i < 0 && required)
      throw new FormatError(
        `${fn}: ${csvPath} has no column ${describeValue(name)}. Its columns: ${header.join(', ')}.`,
      );
    return i;
  };
  const fileCol = col(o.fileColumn, true);
  const labelCol = col(o.labelColumn, true);
  const patientCol = col(o.patientColumn ?? 'patient', o.patientColumn !== undefined);
  const rows = lines.slice(1).map((line, i) => {
    const f = csvFields(line);
    const file = f[fileCol] ?? '';
    const label = f[labelCol] ?? '';
    if (!file || !label)
      throw new FormatError(`${fn}: ${csvPath} line ${i + 2} has an empty file or label.`);
    return { file, label, patient: patientCol >= 0 ? f[patientCol] : undefined };
  });
  const classes = [...new Set(rows.map((r) => r.label))].sort((a, b) => {
    const [na, nb] = [Number(a), Number(b)];
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
  });
  if (classes.length < 2)
    throw new ArgumentError(
      `${fn}: every image has the label ${describeValue(classes[0])}; a classifier needs two classes.`,
    );
  const entries = rows.map((r) => ({
    file: r.file,
    label: classes.indexOf(r.label),
    ...(r.patient !== undefined && r.patient !== '' ? { patient: r.patient } : {}),
  }));
  return makeDataset(directory, classes, entries);
}
