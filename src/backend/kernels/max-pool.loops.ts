/**
 * The 2×2 and 2×2×2 max-pooling loops (`MaxPoolGrad`, `MaxPool3D`, `MaxPool3DGrad`), in WebAssembly SIMD.
 *
 * @module
 */

import { ones, reluGradProduct } from './leaky-relu.loops.js';
import {
  addTo,
  counted,
  F32X4_GE,
  F32X4_GT,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_MUL,
  I32X4_EQ,
  i32,
  load128,
  set,
  simd,
  splat32,
  store128,
  sum,
  V128,
  V128_AND,
  V128_BITSELECT,
} from './simd/assembler.js';

/**
 * The 2×2 (or, with `depth`, 2×2×2) max-pooling loops over one output row: its gradient, or with
 * `forward` the pooled values. Params 0 x, 1 dy (or out), 2 dx − x, 3 windows, 4 C·4, 5 row
 * bytes, [6 slice bytes]; then locals w, p (window), c, and v128 best, idx, m, g, v. With `rows`
 * (2D): param 6 a count of output rows, each two input rows after the last, whose dy rows follow
 * one another (windows · C floats each); then one more local, the row. With `reluMask` (the
 * gradient of a pooling of ReLU's output, through that ReLU too), each value written is then
 * multiplied by step(x) as tfjs-core's ReLU gradient does (1 above 0, NaN for NaN, else 0), x the
 * input value at its place: a v128 local `one` before the row.
 */
export function maxPoolBody(
  depth: boolean,
  forward: boolean,
  rows = false,
  reluMask = false,
): number[] {
  // 2D: the first maximum wins (strictly greater); 3D: the last (greater or equal), as tfjs-backend-cpu
  const compare = depth ? F32X4_GE : F32X4_GT;
  const [x, dy, delta, windows, cb, row, slice] = [0, 1, 2, 3, 4, 5, 6];
  const count = 6; // with `rows`: the output rows
  const base = depth || rows ? 7 : 6;
  const one = base + 8; // with `reluMask`
  const [w, p, c, best, idx, m, g, v] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => base + i) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = (extra: number[]) => [...sum(p, c), ...extra];
  const step = (address: number[], k: number) => [
    ...address,
    ...load128,
    ...set(v),
    ...maximumStep(v, best, m, compare, [idx, k]),
  ];
  const plane = [
    [],
    [...get(cb), I32_ADD],
    [...get(row), I32_ADD],
    [...get(row), I32_ADD, ...get(cb), I32_ADD],
  ];
  const offsets = depth ? [...plane, ...plane.map((o) => [...get(slice), I32_ADD, ...o])] : plane;
  const write = forward
    ? [...sum(dy, c), ...get(best), ...store128]
    : [
        ...sum(dy, c),
        ...load128,
        ...set(g),
        ...offsets.flatMap((o, k) => {
          const routed = [
            ...get(idx),
            ...splat32(k),
            ...simd(I32X4_EQ),
            ...get(g),
            ...simd(V128_AND),
          ];
          return [
            ...at([...o, ...get(delta), I32_ADD]),
            ...(reluMask ? reluGradProduct(routed, [...at(o), ...load128], one, v) : routed),
            ...store128,
          ];
        }),
      ];
  const channel = [
    ...splat32(0xff800000), // −∞
    ...set(best),
    ...splat32(-1),
    ...set(idx),
    ...offsets.flatMap((o, k) => step(at(o), k)),
    ...write,
  ];
  const window = [
    ...get(x),
    ...get(w),
    ...get(cb),
    I32_MUL,
    ...i32(2),
    I32_MUL,
    I32_ADD,
    ...set(p),
    ...counted(c, get(cb), 16, channel),
    ...addTo(dy, get(cb)),
  ];
  const oneRow = counted(w, get(windows), 1, window);
  // with `rows`: `count` output rows, each two input rows on (dy's rows follow one another)
  const r = base + (reluMask ? 9 : 8);
  const body = rows
    ? counted(r, get(count), 1, [...oneRow, ...addTo(x, [...get(row), ...get(row), I32_ADD])])
    : oneRow;
  return funcBody(
    [[3, I32], [reluMask ? 6 : 5, V128], ...(rows ? ([[1, I32]] as [number, number][]) : [])],
    reluMask ? [...ones(one), ...body] : body,
  );
}

/**
 * One value (the v128 local `v`) of a pooling window into its running maximum `best`: where v
 * compares above best (`compare`, lane by lane; the mask into the local `m`), best ← v, and with
 * `index` = [idx, k] the local idx ← k there too. From best = −∞ and `F32X4_GT`, the window's
 * first maximum (NaN never wins). @internal
 */
export function maximumStep(
  v: number,
  best: number,
  m: number,
  compare = F32X4_GT,
  index?: [number, number],
): number[] {
  const select = (value: number[], local: number) => [
    ...value,
    ...get(local),
    ...get(m),
    ...simd(V128_BITSELECT),
    ...set(local),
  ];
  return [
    ...get(v),
    ...get(best),
    ...simd(compare),
    ...set(m),
    ...select(get(v), best),
    ...(index ? select(splat32(index[1]), index[0]) : []),
  ];
}
