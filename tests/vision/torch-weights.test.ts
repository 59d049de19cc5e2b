/**
 * Weights from PyTorch: the readers against torch's own files (torch.save with float32, float16,
 * int64 and a strided view; safetensors with F32, F16, BF16, I64), torchvision's ResNet-18,
 * ResNet-50 and DenseNet-121 with formula-filled weights giving torchvision's eval-mode logits
 * (scripts/fixtures/torch_weights.py), saveTorchWeights round trips, the options, and hostile
 * files refused with nothing run.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { ArgumentError, FormatError, ShapeError } from '../../src/core/index.js';
import {
  createDenseNet,
  createResNet,
  loadTorchWeights,
  saveTorchWeights,
} from '../../src/vision/index.js';
import {
  readSafetensors,
  type WeightTensor,
  writeSafetensors,
} from '../../src/vision/io/safetensors.js';
import { readTorchSave } from '../../src/vision/io/torch-save.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

beforeAll(() => {
  registerTrainingKernels();
});

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));
const tiny = JSON.parse(
  readFileSync(new URL('../fixtures/torch/tiny.json', import.meta.url), 'utf8'),
) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
const logits = JSON.parse(
  readFileSync(new URL('../fixtures/torchvision-logits.json', import.meta.url), 'utf8'),
) as Record<string, number[][]>;

describe('weight files', () => {
  it('torch.save: every tensor of the state_dict, float16, int64 and a strided view included', () => {
    const t = readTorchSave(fixture('torch/tiny.pt'), 'test');
    expect([...t.keys()].sort()).toEqual(
      Object.keys(tiny)
        .filter((k) => k !== 'bf16.weight')
        .sort(),
    );
    for (const [name, ref] of Object.entries(tiny)) {
      if (name === 'bf16.weight') continue;
      const got = t.get(name)!;
      expect(got.shape).toEqual(ref.shape);
      const want = Float32Array.from(ref.values);
      expect(Array.from(got.values)).toEqual(Array.from(want));
    }
    expect(t.get('half.weight')!.dtype).toBe('F16');
    expect(t.get('1.num_batches_tracked')!.values[0]).toBe(
      tiny['1.num_batches_tracked']!.values[0],
    );
  });

  it('safetensors: F32, F16, BF16 and I64', () => {
    const t = readSafetensors(fixture('torch/tiny.safetensors'), 'test');
    for (const [name, ref] of Object.entries(tiny)) {
      if (name === 'transposed') continue;
      const got = t.get(name)!;
      expect(got.shape).toEqual(ref.shape);
      expect(Array.from(got.values)).toEqual(Array.from(Float32Array.from(ref.values)));
    }
    expect(t.get('bf16.weight')!.dtype).toBe('BF16');
  });
});

/** Python's formula for each element of a tensor (scripts/fixtures/torch_weights.py). */
function formula(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  let h = 0;
  for (let i = 0; i < name.length; i++) h += name.charCodeAt(i) * (i + 1);
  h %= 9973;
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  const bn =
    name.includes('.bn') ||
    name.includes('.norm') ||
    name.startsWith('bn') ||
    name.includes('.downsample.1') ||
    name.startsWith('features.norm');
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.sin(0.37 * i + 0.011 * h);
    const c = Math.cos(0.23 * i + 0.007 * h);
    if (leaf === 'running_var') out[i] = 0.5 + 0.5 * s * s;
    else if (leaf === 'running_mean') out[i] = 0.1 * s;
    else if (bn && leaf === 'weight') out[i] = 0.8 + 0.3 * s;
    else if (bn && leaf === 'bias') out[i] = 0.1 * c;
    else if (leaf === 'bias') out[i] = 0.05 * s;
    else out[i] = Math.sqrt(2 / (n / shape[0]!)) * 1.2 * s;
  }
  return out;
}

/** A safetensors file of the formula's weights for every tensor the model's PyTorch twin has. */
function formulaFile(model: tfl.LayersModel): Uint8Array {
  const names = readSafetensors(saveTorchWeights(model), 'test');
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of names) {
    tensors.set(
      name,
      name.endsWith('num_batches_tracked')
        ? t
        : { dtype: 'F32', shape: t.shape, values: formula(name, t.shape) },
    );
  }
  return writeSafetensors(tensors);
}

/** The fixture's input, NCHW formula, as NHWC. */
function input(): tf.Tensor4D {
  const [n, c, h, w] = [2, 3, 64, 64];
  const v = Float32Array.from(
    { length: n * c * h * w },
    (_, i) => Math.sin(0.05 * i) + 0.5 * Math.cos(0.013 * i),
  );
  return tf.tidy(() => tf.transpose(tf.tensor4d(v, [n, c, h, w]), [0, 2, 3, 1]));
}

describeBackends('torchvision layouts with PyTorch weights', () => {
  const cases: [string, () => tfl.LayersModel][] = [
    [
      'resnet18',
      () =>
        createResNet({ inputShape: [64, 64, 3], numClasses: 5, depth: 18, layout: 'torchvision' }),
    ],
    [
      'resnet50',
      () =>
        createResNet({ inputShape: [64, 64, 3], numClasses: 5, depth: 50, layout: 'torchvision' }),
    ],
    [
      'densenet121',
      () =>
        createDenseNet({
          inputShape: [64, 64, 3],
          numClasses: 5,
          blocks: [6, 12, 24, 16],
          growthRate: 32,
          layout: 'torchvision',
        }),
    ],
  ];
  for (const [name, build] of cases) {
    it(`${name}: the formula's weights give torchvision's eval-mode logits (1e-4 relative)`, async () => {
      const model = build();
      const file = formulaFile(model);
      const report = await expectNoLeak(() => loadTorchWeights(model, file));
      expect(report.missing).toEqual([]);
      expect(report.skipped.every((s) => s.endsWith('num_batches_tracked'))).toBe(true);
      const x = input();
      const y = model.predict(x) as tf.Tensor;
      const got = (await y.array()) as number[][];
      const want = logits[name]!;
      const scale = Math.max(...want.flat().map(Math.abs));
      got.flat().forEach((v, i) => {
        expect(Math.abs(v - want.flat()[i]!)).toBeLessThan(1e-4 * scale);
      });
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it("batch norm in training: PyTorch's momentum 0.1 (tfjs 0.9), ε 1e-5, the biased batch variance", async () => {
    const model = createResNet({
      inputShape: [32, 32, 3],
      numClasses: 2,
      depth: 18,
      layout: 'torchvision',
      seed: 1,
    });
    const bn = model.getLayer('bn1');
    expect(bn.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    // one training-mode pass of the stem: moving variance ← 0.9·old + 0.1·(biased batch variance)
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 7); // 16 positions: n/(n−1) shows
    const conv = model.getLayer('conv1');
    const pad = model.getLayer('conv1.pad');
    const [before] = [Array.from(bn.getWeights()[3]!.dataSync())];
    const z = tf.tidy(() => conv.apply(pad.apply(x)) as tf.Tensor);
    const { variance } = tf.moments(z, [0, 1, 2]); // biased: divides by n
    tf.tidy(() => bn.apply(z, { training: true }) as tf.Tensor);
    const after = Array.from(bn.getWeights()[3]!.dataSync());
    const v = Array.from(variance.dataSync());
    for (const [c, a] of after.entries()) {
      expect(a).toBeCloseTo(0.9 * before[c]! + 0.1 * v[c]!, 4);
      expect(Math.abs(a - (0.9 * before[c]! + 0.1 * v[c]! * (16 / 15)))).toBeGreaterThan(1e-4);
    }
    tf.dispose([x, z, variance]);
    model.dispose();
  });

  it('the torchvision layout refuses what would change its architecture', () => {
    expect(() =>
      createResNet({ inputShape: [16, 16, 16, 1], numClasses: 2, layout: 'torchvision' }),
    ).toThrow(/2D/);
    expect(() =>
      createResNet({
        inputShape: [64, 64, 3],
        numClasses: 2,
        layout: 'torchvision',
        stages: [1, 1],
      }),
    ).toThrow(/remove `stages`/);
    expect(() =>
      createDenseNet({
        inputShape: [64, 64, 3],
        numClasses: 2,
        layout: 'torchvision',
        compression: 0.7,
      }),
    ).toThrow(ArgumentError);
  });
});

describe('saving and the options', () => {
  it('saveTorchWeights → loadTorchWeights gives the same weights; head: false keeps the head; strict, shapes and map', async () => {
    await tf.setBackend('cpu');
    const a = createResNet({
      inputShape: [32, 32, 3],
      numClasses: 5,
      depth: 18,
      layout: 'torchvision',
      seed: 1,
    });
    const b = createResNet({
      inputShape: [32, 32, 3],
      numClasses: 5,
      depth: 18,
      layout: 'torchvision',
      seed: 2,
    });
    const file = saveTorchWeights(a);
    await expectNoLeak(() => loadTorchWeights(b, file));
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
    // a new task: ten classes, the head left as built
    const c = createResNet({
      inputShape: [32, 32, 3],
      numClasses: 10,
      depth: 18,
      layout: 'torchvision',
      seed: 3,
    });
    const fc = c
      .getLayer('fc')
      .getWeights()
      .map((w) => Array.from(w.dataSync()));
    const r = await loadTorchWeights(c, file, { head: false });
    expect(r.skipped).toContain('fc.weight');
    expect(
      c
        .getLayer('fc')
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    ).toEqual(fc);
    expect(Array.from(c.getLayer('conv1').getWeights()[0]!.dataSync())).toEqual(wa[0]);
    await expect(loadTorchWeights(c, file)).rejects.toThrow(ShapeError);
    await expect(loadTorchWeights(c, file)).rejects.toThrow(
      /'fc.weight' does not fit layer 'fc'.*\[5, 512\].*\[10, 512\]/,
    );
    // a file without layer4: strict refuses, lenient lists what stayed missing
    const partial = new Map(
      [...readSafetensors(file, 'test')].filter(([k]) => !k.startsWith('layer4.')),
    );
    await expect(loadTorchWeights(b, writeSafetensors(partial))).rejects.toThrow(
      /the model's weights the file lacks: layer4.0/,
    );
    const lenient = await loadTorchWeights(b, writeSafetensors(partial), { strict: false });
    expect(lenient.missing).toContain('layer4.0.conv1.weight');
    // another naming scheme through `map`
    const renamed = new Map<string, WeightTensor>();
    for (const [k, v] of readSafetensors(file, 'test')) renamed.set(`backbone.${k}`, v);
    await loadTorchWeights(c, writeSafetensors(renamed), {
      map: (n) => (n.includes('.fc.') ? null : n.replace(/^backbone\./, '')),
      strict: false,
    });
    expect(Array.from(c.getLayer('layer3.1.conv2').getWeights()[0]!.dataSync())).toEqual(
      Array.from(a.getLayer('layer3.1.conv2').getWeights()[0]!.dataSync()),
    );
    for (const m of [a, b, c]) m.dispose();
  });
});

/** A ZIP archive of stored entries (for hostile files). */
function zip(entries: [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const local = new Uint8Array(30 + n.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    const dir = new Uint8Array(46 + n.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, 0x02014b50, true);
    dv.setUint32(20, data.length, true);
    dv.setUint32(24, data.length, true);
    dv.setUint16(28, n.length, true);
    dv.setUint32(42, offset, true);
    dir.set(n, 46);
    parts.push(local, data);
    central.push(dir);
    offset += local.length + data.length;
  }
  const size = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, size, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const c of all) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function safetensors(header: object, data = new Uint8Array(16)): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

describe('hostile files', () => {
  const model = () =>
    createResNet({ inputShape: [32, 32, 3], numClasses: 2, depth: 18, layout: 'torchvision' });
  const ascii = (s: string) => new TextEncoder().encode(s);

  it('a pickle that asks for os.system or builtins.eval is refused, naming it; nothing runs', async () => {
    const m = model();
    for (const [module, name] of [
      ['os', 'system'],
      ['builtins', 'eval'],
      ['posix', 'system'],
    ]) {
      // PROTO 2, GLOBAL module name, string 'echo pwned', TUPLE1, REDUCE, STOP
      const cmd = ascii('echo pwned');
      const pkl = new Uint8Array([
        0x80,
        2,
        ...ascii(`c${module}\n${name}\n`),
        0x58,
        cmd.length,
        0,
        0,
        0,
        ...cmd,
        0x85,
        0x52,
        0x2e,
      ]);
      await expect(loadTorchWeights(m, zip([['evil/data.pkl', pkl]]))).rejects.toThrow(
        new RegExp(`global ${module}\\.${name}.*refused`),
      );
    }
    m.dispose();
  });

  it('safetensors: a header longer than the file, overlapping offsets, an unknown dtype, bad sizes', async () => {
    const m = model();
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    huge[8] = 0x7b;
    await expect(loadTorchWeights(m, huge)).rejects.toThrow(FormatError);
    expect(() => readSafetensors(huge, 't')).toThrow(/claims 1099511627776 bytes/);
    const overlap = safetensors({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    expect(() => readSafetensors(overlap, 't')).toThrow(/overlap/);
    const dtype = safetensors({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } });
    expect(() => readSafetensors(dtype, 't')).toThrow(/dtype "C64"/);
    const outside = safetensors({ a: { dtype: 'F32', shape: [100], data_offsets: [0, 400] } });
    expect(() => readSafetensors(outside, 't')).toThrow(/outside/);
    const wrong = safetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } });
    expect(() => readSafetensors(wrong, 't')).toThrow(/needs 12/);
    m.dispose();
  });

  it('ZIP entries climbing out of the archive, truncated archives, and unknown bytes', async () => {
    const m = model();
    await expect(
      loadTorchWeights(m, zip([['../evil/data.pkl', new Uint8Array([0x2e])]])),
    ).rejects.toThrow(/outside the archive/);
    await expect(
      loadTorchWeights(m, zip([['/abs/data.pkl', new Uint8Array([0x2e])]])),
    ).rejects.toThrow(/outside the archive/);
    const real = fixture('torch/tiny.pt');
    await expect(loadTorchWeights(m, real.subarray(0, real.length - 30))).rejects.toThrow(
      FormatError,
    );
    await expect(
      loadTorchWeights(m, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    ).rejects.toThrow(/neither a torch.save archive/);
    await expect(loadTorchWeights(m, 'x' as never)).rejects.toThrow(ArgumentError);
    m.dispose();
  });
});
