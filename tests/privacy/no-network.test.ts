/**
 * Nothing leaves the machine: with fetch, XMLHttpRequest, WebSocket, node:http, node:https and
 * node:net replaced by functions that count the call and throw, the demo's workloads run (on
 * bundled data, smaller): tabular diagnosis, DICOM (compressed too) and NIfTI reading, CNN
 * training with Grad-CAM, DP-SGD, the genomics pipeline, and the molecule GAN with RDKit. No
 * public code path opens a connection.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import {
  createMoleculeGan,
  decodeMoleculeGraphs,
  encodeMoleculeGraphs,
  GanTrainer,
  moleculeMetrics,
  packMoleculeGraphs,
  unpackMoleculeGraphs,
} from '../../src/generative/index.js';
import {
  associationScan,
  LogisticRegression,
  qcFilter,
  readVcf,
} from '../../src/genomics/index.js';
import { rocAuc } from '../../src/metrics/index.js';
import {
  createSimpleCnn,
  gradCam,
  readDicom,
  readNifti,
  trainClassifier,
} from '../../src/vision/index.js';
import '../helpers/backends.js';
// as in Node: tfjs-medkit/node registers the installed codecs and RDKit
import '../../src/node/index.js';

const data = (path: string) => new URL(`../../examples/data/${path}`, import.meta.url);
const attempts: string[] = [];
const restore: (() => void)[] = [];

/** Replaces `owner[key]` with a function that records the attempt and throws. */
function forbid(owner: object, key: string, what: string): void {
  const o = owner as Record<string, unknown>;
  const original = o[key];
  const blocked = function blocked(): never {
    attempts.push(what);
    throw new Error(`no network: ${what}`);
  };
  o[key] = blocked;
  restore.push(() => {
    o[key] = original;
  });
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerTrainingKernels();
  const g = globalThis as Record<string, unknown>;
  for (const name of ['fetch', 'XMLHttpRequest', 'WebSocket']) forbid(g, name, name);
  for (const [mod, name] of [
    [http, 'http'],
    [https, 'https'],
  ] as const) {
    forbid(mod, 'request', `${name}.request`);
    forbid(mod, 'get', `${name}.get`);
  }
  forbid(net, 'connect', 'net.connect');
  forbid(net, 'createConnection', 'net.createConnection');
  forbid(net.Socket.prototype, 'connect', 'net.Socket.connect');
  syncBuiltinESMExports();
});

afterAll(() => {
  for (const r of restore.reverse()) r();
  syncBuiltinESMExports();
});

it('the stubs are in place (a call is caught and counted)', () => {
  expect(() => fetch('http://127.0.0.1/')).toThrow(/no network/);
  expect(() => http.get('http://127.0.0.1/')).toThrow(/no network/);
  expect(attempts).toEqual(['fetch', 'http.get']);
  attempts.length = 0;
});

it('tabular diagnosis (a network, DP-SGD, logistic regression) opens no connection', async () => {
  const text = await readFile(data('breast_cancer.csv'), 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .slice(1, 201)
    .map((l) => l.split(',').map(Number));
  const y = rows.map((r) => (r.at(-1) === 0 ? 1 : 0));
  const cols = rows[0]!.length - 1;
  const scale = Array.from(
    { length: cols },
    (_, j) => Math.max(...rows.map((r) => Math.abs(r[j]!))) || 1,
  );
  const x = tf.tensor2d(rows.map((r) => r.slice(0, -1).map((v, j) => v / scale[j]!)));
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [cols],
        units: 8,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
      }),
      tfl.layers.dense({
        units: 2,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  await trainClassifier(
    model,
    { x, y },
    { epochs: 3, batchSize: 32, seed: 1, classWeights: 'balanced' },
  );
  await trainClassifier(
    model,
    { x, y },
    { epochs: 1, batchSize: 32, seed: 1, privacy: { maxGradNorm: 1, targetEpsilon: 3 } },
  );
  model.dispose();
  const logistic = await new LogisticRegression({ C: 1 }).fit(x, y);
  const auc = rocAuc(
    y,
    (await logistic.predictProba(x)).map((p) => p[1]!),
  );
  expect(auc).toBeGreaterThan(0.9);
  x.dispose();
  expect(attempts).toEqual([]);
});

it('DICOM (compressed too) and NIfTI reading open no connection', async () => {
  for (const file of [
    'dicom/CT_small.dcm',
    'dicom/MR_small_jpeg_ls_lossless.dcm',
    'dicom/MR_small_jp2klossless.dcm',
  ]) {
    const { image } = await readDicom(new Uint8Array(await readFile(data(file))));
    expect(image.size).toBeGreaterThan(0);
    image.dispose();
  }
  const nifti = await readNifti(new Uint8Array(await readFile(data('anatomical.nii'))));
  expect(nifti.volume.rank).toBe(3);
  nifti.volume.dispose();
  expect(attempts).toEqual([]);
});

it('CNN training (plain and private) with Grad-CAM opens no connection', async () => {
  const gz = await readFile(data('digits_8x8.csv.gz'));
  const rows = gunzipSync(gz)
    .toString()
    .trim()
    .split('\n')
    .slice(1, 257)
    .map((l) => l.split(',').map(Number));
  const x = tf.tensor4d(
    rows.flatMap((r) => r.slice(0, 64).map((v) => v / 16)),
    [rows.length, 8, 8, 1],
  );
  const y = rows.map((r) => r[64]!);
  const model = createSimpleCnn({
    inputShape: [8, 8, 1],
    numClasses: 10,
    filters: [8],
    denseUnits: 16,
    seed: 1,
  });
  await trainClassifier(
    model,
    { x, y },
    { epochs: 1, batchSize: 32, validationSplit: 0.2, seed: 1 },
  );
  const r = await trainClassifier(
    model,
    { x, y },
    { epochs: 1, batchSize: 32, seed: 1, privacy: { maxGradNorm: 1, noiseMultiplier: 1 } },
  );
  expect(r.privacy!.steps).toBe(8);
  const image = tf.slice(x, 0, 1);
  const heat = await gradCam(model, image);
  expect(heat.size).toBe(64);
  tf.dispose([x, image, heat]);
  model.dispose();
  expect(attempts).toEqual([]);
});

it('the genomics pipeline opens no connection', async () => {
  const vcf = await readVcf(new Uint8Array(await readFile(data('cohort.vcf.gz'))));
  const table = (await readFile(data('cohort_phenotypes.csv'), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const bySample = new Map(table.map((r) => [r[0]!, r.slice(1).map(Number)]));
  const phenotype = vcf.samples.map((s) => bySample.get(s)![0]!);
  const matrix = {
    genotypes: vcf.genotypes,
    samples: vcf.samples.length,
    variants: vcf.variants.length,
  };
  const qc = qcFilter(matrix, { minMaf: 0.01, minCallRate: 0.85 });
  const results = associationScan(qc.matrix, phenotype, { firth: 'fallback' });
  expect(results.length).toBe(qc.variants.length);
  expect(attempts).toEqual([]);
});

it('the molecule GAN with RDKit opens no connection', async () => {
  const smiles = (await readFile(data('nci_5k.smi'), 'utf8'))
    .trim()
    .split('\n')
    .slice(0, 200)
    .map((l) => l.trim().split(/\s+/)[0]!);
  const spec = { atomTypes: ['C', 'N', 'O', 'F', 'S', 'Cl', 'Br'], maxAtoms: 20 };
  const g = await encodeMoleculeGraphs(smiles, spec);
  const packed = packMoleculeGraphs(g.atoms, g.bonds);
  const { generator, discriminator } = createMoleculeGan({ spec, hidden: [32, 32], seed: 1 });
  const trainer = new GanTrainer({ generator, discriminator, seed: 1 });
  await trainer.fit({ x: packed }, { epochs: 1, batchSize: 32 });
  const sampled = trainer.sample(16, { seed: 2 });
  const { atoms, bonds } = unpackMoleculeGraphs(sampled, spec);
  const samples = await decodeMoleculeGraphs(atoms, bonds, spec);
  tf.dispose([sampled, atoms, bonds]);
  const m = await moleculeMetrics(samples, g.smiles);
  expect(m.validity).toBeGreaterThanOrEqual(0);
  trainer.dispose();
  tf.dispose([g.atoms, g.bonds, packed]);
  generator.dispose();
  discriminator.dispose();
  expect(attempts).toEqual([]);
});
