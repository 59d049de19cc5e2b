#!/usr/bin/env node
/**
 * Benchmark: the library's matrix products (tf.matMul on the cpu and wasm backends with
 * registerTrainingKernels: the SIMD gemm, relaxed SIMD where the runtime validates it) in
 * GFLOP/s per shape, against this runtime's measured peak on one thread: a tight loop of
 * independent four-lane multiply-adds, plain (f32x4.mul + f32x4.add) and fused
 * (f32x4.relaxed_madd), written here so that the anchor shares nothing with the library.
 * Run it on Node 20 and Node 24 (relaxed SIMD is on by default from Node 22): each line names
 * its runtime.
 *
 *   npm run bench -- gemm          (the runtime running npm)
 *   node-24 bench/gemm.bench.mjs   (another runtime; build first)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from 'tfjs-medkit';

const runtime = globalThis.Deno
  ? `Deno ${globalThis.Deno.version.deno}`
  : `Node ${process.version}`;
const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];

/**
 * A module exporting `run(n)`: n iterations of `ACC` independent accumulators a_i = a_i·x + y
 * (fused: one relaxed_madd; plain: mul then add), so the loop is bound by the arithmetic. Twelve:
 * enough independent chains to hide the multiply-add's latency (eight leave a fused loop
 * latency-bound, ~10% under its throughput), few enough for x64's 16 vector registers.
 */
const ACC = 12;
function peakModule(fused) {
  const get = (i) => [0x20, i];
  const set = (i) => [0x21, i];
  const simd = (op) => [0xfd, ...uleb(op)];
  const step = [];
  for (let a = 0; a < ACC; a++) {
    // locals: 0 n (param), 1 counter i32, 2 x, 3 y, 4… the accumulators (v128)
    step.push(
      ...(fused
        ? [...get(4 + a), ...get(2), ...get(3), ...simd(0x105)]
        : [...get(4 + a), ...get(2), ...simd(0xe6), ...get(3), ...simd(0xe4)]),
      ...set(4 + a),
    );
  }
  const f32 = (v) => [...new Uint8Array(new Float32Array([v]).buffer)];
  const splat = (v) => [0x43, ...f32(v), ...simd(0x13)];
  const body = [
    ...splat(0.999999),
    ...set(2),
    ...splat(1e-7),
    ...set(3),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(1),
    ...get(0),
    0x4e, // i32.ge_s
    0x0d,
    1, // br_if 1
    ...step,
    ...get(1),
    0x41,
    1,
    0x6a,
    ...set(1), // i += 1
    0x0c,
    0, // br 0
    0x0b,
    0x0b,
    // the accumulators' sum, lane 0, returned: the work cannot be optimised away
    ...get(4),
    ...Array.from({ length: ACC - 1 }, (_, i) => [...get(5 + i), ...simd(0xe4)]).flat(),
    ...simd(0x1f),
    0,
    0x0b,
  ];
  const locals = [2, 1, 0x7f, ACC + 2, 0x7b]; // 1 i32; x, y and the accumulators (v128)
  const fn = [...locals, ...body];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0x00, 0]),
    ...section(10, [1, ...uleb(fn.length), ...fn]),
  ]);
}

function peak(fused) {
  const bytes = peakModule(fused);
  if (!WebAssembly.validate(bytes)) return undefined;
  const { run } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  run(1e6); // tier up
  run(1e6);
  const n = 2e7;
  const t0 = performance.now();
  run(n);
  const s = (performance.now() - t0) / 1000;
  return (n * ACC * 4 * 2) / s / 1e9; // accumulators × 4 lanes × (multiply + add)
}

const peaks = { plain: peak(false), fused: peak(true) };
console.log(
  JSON.stringify({
    bench: 'peak, one thread, tight multiply-add loop',
    runtime,
    plain_gflops: peaks.plain,
    fused_gflops: peaks.fused ?? null,
  }),
);

registerTrainingKernels();
const SHAPES = [
  [64, 512, 128],
  [256, 256, 256],
  [64, 1152, 64],
  [128, 2048, 32],
];
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const [M, K, N] of SHAPES) {
    const a = tf.randomNormal([M, K], 0, 1, 'float32', 1);
    const b = tf.randomNormal([K, N], 0, 1, 'float32', 2);
    const once = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    once();
    const reps = Math.max(5, Math.round(4e9 / (2 * M * K * N)));
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) once();
    const gflops = (2 * M * K * N * reps) / ((performance.now() - t0) / 1000) / 1e9;
    const best = peaks.fused ?? peaks.plain;
    console.log(JSON.stringify({ bench: 'matMul', runtime, backend, shape: [M, K, N], gflops }));
    console.log(
      `ratio ${backend} [${M}×${K}]·[${K}×${N}] / peak (${runtime}, ${peaks.fused ? 'fused' : 'plain'}): ${(gflops / best).toFixed(3)} (${gflops.toFixed(1)} vs ${best.toFixed(1)} GFLOP/s)`,
    );
    tf.dispose([a, b]);
  }
}
