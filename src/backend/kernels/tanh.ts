/**
 * `Tanh` for the wasm backend by WebAssembly SIMD: the stock kernel calls the C library's scalar
 * `tanhf` for each element (~16 ns an element here, a tenth of an MLP GAN step for its
 * generator's tanh output). This one computes the same function four lanes at a time
 * (`tanh.loops.ts`) and the last one to three elements by {@link tanhf}, the same steps in
 * JavaScript: every result bit for bit the stock kernel's (tested on ~10⁸ float32 inputs, every
 * exponent, subnormals, ±0, ±∞ and NaN).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';
import { EXPM1F } from './tanh.loops.js';

const f = Math.fround;
const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);
const bitsOf = (x: number) => {
  F[0] = x;
  return U[0]!;
};
const fromBits = (u: number) => {
  U[0] = u;
  return F[0]!;
};
const [LN2_HI, LN2_LO, INV_LN2, Q1, Q2] = [
  EXPM1F.LN2_HI,
  EXPM1F.LN2_LO,
  EXPM1F.INV_LN2,
  EXPM1F.Q1,
  EXPM1F.Q2,
].map(f) as [number, number, number, number, number];
const O_THRESHOLD = f(8.8721679688e1);

/**
 * e^x − 1 in float32, step for step the C library's expm1f (FreeBSD's, as in musl): a reduction
 * x = k·ln2 + r with |r| ≤ ln2/2 (hi and lo parts of ln2), a rational correction on r, and
 * 2^k put back, every operation rounded to float32.
 */
function expm1f(x: number): number {
  const u = bitsOf(x);
  const hx = u & 0x7fffffff;
  const negative = u >>> 31 === 1;
  if (hx >= 0x4195b844) {
    // |x| ≥ 27·ln2
    if (hx > 0x7f800000) return x;
    if (negative) return -1;
    if (x > O_THRESHOLD) return Number.POSITIVE_INFINITY;
  }
  let k = 0;
  let c = 0;
  if (hx > 0x3eb17218) {
    // |x| > ln2/2: reduce
    let t: number;
    if (hx < 0x3f851592) t = negative ? -1 : 1;
    else t = Math.trunc(f(f(INV_LN2 * x) + (negative ? -0.5 : 0.5)));
    k = t;
    const hi = f(x - f(t * LN2_HI));
    const lo = f(t * LN2_LO);
    x = f(hi - lo);
    c = f(f(hi - x) - lo);
  } else if (hx < 0x33000000) {
    return x; // |x| < 2⁻²⁵
  }
  const hfx = f(0.5 * x);
  const hxs = f(x * hfx);
  const r1 = f(1 + f(hxs * f(Q1 + f(hxs * Q2))));
  const t = f(3 - f(r1 * hfx));
  let e = f(hxs * f(f(r1 - t) / f(6 - f(x * t))));
  if (k === 0) return f(x - f(f(x * e) - hxs));
  e = f(f(f(x * f(e - c)) - c) - hxs);
  if (k === -1) return f(f(0.5 * f(x - e)) - 0.5);
  if (k === 1) return x < -0.25 ? f(-2 * f(e - f(x + 0.5))) : f(1 + f(2 * f(x - e)));
  const twoK = fromBits((0x7f + k) << 23);
  if (k < 0 || k > 56) {
    let y = f(f(x - e) + 1);
    y = k === 128 ? f(f(y * 2) * 1.7014118346046923e38) : f(y * twoK);
    return f(y - 1);
  }
  const twoMinusK = fromBits((0x7f - k) << 23);
  return k < 23
    ? f(f(f(x - e) + f(1 - twoMinusK)) * twoK)
    : f(f(f(x - f(e + twoMinusK)) + 1) * twoK);
}

/** tanh in float32, step for step the C library's tanhf (musl's): by {@link expm1f}. @internal */
export function tanhf(x: number): number {
  const u = bitsOf(x);
  const w = u & 0x7fffffff;
  const ax = fromBits(w);
  let t: number;
  if (w > 0x3f0c9f54) {
    // |x| > log(3)/2
    if (w > 0x41200000) t = f(1 + 0 / ax);
    else t = f(1 - f(2 / f(expm1f(f(2 * ax)) + 2)));
  } else if (w > 0x3e82c578) {
    // |x| > log(5/3)/2
    const e = expm1f(f(2 * ax));
    t = f(e / f(e + 2));
  } else if (w >= 0x00800000) {
    const e = expm1f(f(-2 * ax));
    t = f(-e / f(e + 2));
  } else {
    t = ax;
  }
  return u >>> 31 ? -t : t;
}

/** Builds the kernel function for `backendName` (wasm). @internal */
export function tanhSimd(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const loops = x.dtype === 'float32' ? simdFor(backend) : undefined;
    if (!loops) return callKernel('Tanh', backendName, backend as KernelBackend, { x });
    const { out, outValues, values } = accessFor(backendName, backend).output(x.shape, [x], false);
    const xv = values[0]!;
    const n = xv.length;
    const n4 = n - (n % 4);
    loops.tanh(heapOffset(backend, x), 0, heapOffset(backend, out), 4 * n4, 0);
    for (let i = n4; i < n; i++) outValues[i] = tanhf(xv[i]!);
    return out;
  };
}
