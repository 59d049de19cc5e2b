/**
 * tanh in WebAssembly SIMD (`tanh`), four lanes at a time, bit for bit the scalar `tanhf` the wasm
 * backend's own `Tanh` calls (the C library of its build: tanh from expm1, expm1 by a reduction
 * to |r| ≤ ln2/2 and a rational correction; see `tanh.ts` for the same steps in JavaScript).
 * Every branch of the scalar function becomes a lane mask: each lane computes every case its
 * argument range can reach with the same float32 operations in the same order, and keeps its own.
 *
 * @module
 */
import {
  counted,
  F32X4_ABS,
  F32X4_ADD,
  F32X4_CONVERT_I32X4_S,
  F32X4_DIV,
  F32X4_LT,
  F32X4_MUL,
  F32X4_NE,
  F32X4_NEG,
  F32X4_SUB,
  funcBody,
  get,
  I32,
  I32_CONST,
  I32X4_ADD,
  I32X4_EQ,
  I32X4_GE_S,
  I32X4_GT_S,
  I32X4_LT_S,
  I32X4_SHL,
  I32X4_SUB,
  I32X4_TRUNC_SAT_F32X4_S,
  load128,
  set,
  simd,
  splat32,
  store128,
  sum,
  V128,
  V128_AND,
  V128_BITSELECT,
  V128_NOT,
  V128_XOR,
} from './simd/assembler.js';

/** A float32 splatted to four lanes (its exact bits). */
function splatF32(value: number): number[] {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return splat32(bits);
}
/** An i32 splatted to four lanes. */
const splatI32 = (value: number) => splat32(value >>> 0);

/** Operations on values already pushed: a, b → a op b. */
const op = (code: number) => simd(code);
/** bitselect: where `mask`, `yes`; elsewhere `no` (each an instruction sequence pushing a v128). */
const select = (yes: number[], no: number[], mask: number[]) => [
  ...yes,
  ...no,
  ...mask,
  ...simd(V128_BITSELECT),
];

// float32 constants of the scalar expm1f and tanhf
/** expm1f's constants, as the C library writes them (float32 literals). @internal */
export const EXPM1F = {
  LN2_HI: 6.9313812256e-1,
  LN2_LO: 9.0580006145e-6,
  INV_LN2: 1.4426950216,
  Q1: -3.3333212137e-2,
  Q2: 1.5807170421e-3,
} as const;
const { LN2_HI, LN2_LO, INV_LN2, Q1, Q2 } = EXPM1F;

/**
 * tanh over `bytes` bytes (a multiple of 16) from x to out; `dy` and α unused. Params 0 x, 1 dy,
 * 2 out, 3 bytes, 4 α; local 5 i; v128 locals 6… the values named below.
 */
export function tanhBody(): number[] {
  const [x, , out, bytes, , i] = [0, 1, 2, 3, 4, 5];
  // v128 locals
  const xs = 6;
  const ax = 7;
  const small = 8;
  const arg = 9;
  const ea = 10;
  const eneg = 11;
  const mid = 12;
  const reduce = 13;
  const t = 14;
  const hi = 15;
  const lo = 16;
  const r = 17;
  const c = 18;
  const hfx = 19;
  const hxs = 20;
  const r1 = 21;
  const tt = 22;
  const e = 23;
  const e2 = 24;
  const k = 25;
  const em1 = 26;
  const d = 27;
  const res = 28;
  // the constants, each splatted once before the loop into a local of its own (29…): a splat
  // in the loop is three instructions an iteration, a spilled local one load
  const constants = new Map<string, number>();
  const hoisted = (splat: number[]) => {
    const key = splat.join(',');
    if (!constants.has(key)) constants.set(key, 29 + constants.size);
    return get(constants.get(key)!);
  };
  const f32x4 = (value: number) => hoisted(splatF32(value));
  const i32x4 = (value: number) => hoisted(splatI32(value));
  const w = ax; // |x|'s bits, compared as integers
  const gt = (a: number, bits: number) => [...get(a), ...i32x4(bits), ...op(I32X4_GT_S)];
  const lt = (a: number, bits: number) => [...get(a), ...i32x4(bits), ...op(I32X4_LT_S)];
  const kIs = (value: number) => [...get(k), ...i32x4(value), ...op(I32X4_EQ)];
  const twoTo = (exponent: number[]) => [...exponent, ...[I32_CONST, 23], ...op(I32X4_SHL)];
  const element = [
    // |x| and its bits; the expm1 argument: −2|x| for |x| ≤ 0.2554 (log(5/3)/2), else 2|x|
    ...sum(x, i),
    ...load128,
    ...set(xs),
    ...get(xs),
    ...op(F32X4_ABS),
    ...set(ax),
    ...gt(w, 0x3e82c578),
    ...op(V128_NOT), // the small range
    ...set(small),
    ...select(
      [...f32x4(-2), ...get(ax), ...op(F32X4_MUL)],
      [...f32x4(2), ...get(ax), ...op(F32X4_MUL)],
      get(small),
    ),
    ...set(arg),
    // expm1(arg): |arg| bits, its sign, the reduction's multiple k of ln2 (0, ±1, or rounded)
    ...get(arg),
    ...op(F32X4_ABS),
    ...set(ea),
    ...get(arg),
    ...f32x4(0),
    ...op(F32X4_LT),
    ...set(eneg),
    ...lt(ea, 0x3f851592),
    ...set(mid),
    ...gt(ea, 0x3eb17218),
    ...set(reduce),
    // t = 0 (no reduction), ±1 (|arg| < 1.5 ln2), or trunc(arg/ln2 ± 0.5)
    ...select(
      select(
        select(f32x4(-1), f32x4(1), get(eneg)),
        [
          ...get(arg),
          ...f32x4(INV_LN2),
          ...op(F32X4_MUL),
          ...select(f32x4(-0.5), f32x4(0.5), get(eneg)),
          ...op(F32X4_ADD),
          ...op(I32X4_TRUNC_SAT_F32X4_S),
          ...op(F32X4_CONVERT_I32X4_S),
        ],
        get(mid),
      ),
      f32x4(0),
      get(reduce),
    ),
    ...set(t),
    ...get(t),
    ...op(I32X4_TRUNC_SAT_F32X4_S),
    ...set(k),
    // hi = arg − t·ln2_hi, lo = t·ln2_lo, r = hi − lo, c = (hi − r) − lo
    ...get(arg),
    ...get(t),
    ...f32x4(LN2_HI),
    ...op(F32X4_MUL),
    ...op(F32X4_SUB),
    ...set(hi),
    ...get(t),
    ...f32x4(LN2_LO),
    ...op(F32X4_MUL),
    ...set(lo),
    ...get(hi),
    ...get(lo),
    ...op(F32X4_SUB),
    ...set(r),
    ...get(hi),
    ...get(r),
    ...op(F32X4_SUB),
    ...get(lo),
    ...op(F32X4_SUB),
    ...set(c),
    // hfx = r/2, hxs = r·hfx, r1 = 1 + hxs(Q1 + hxs·Q2), tt = 3 − r1·hfx,
    // e = hxs·((r1 − tt)/(6 − r·tt))
    ...f32x4(0.5),
    ...get(r),
    ...op(F32X4_MUL),
    ...set(hfx),
    ...get(r),
    ...get(hfx),
    ...op(F32X4_MUL),
    ...set(hxs),
    ...f32x4(1),
    ...get(hxs),
    ...f32x4(Q1),
    ...get(hxs),
    ...f32x4(Q2),
    ...op(F32X4_MUL),
    ...op(F32X4_ADD),
    ...op(F32X4_MUL),
    ...op(F32X4_ADD),
    ...set(r1),
    ...f32x4(3),
    ...get(r1),
    ...get(hfx),
    ...op(F32X4_MUL),
    ...op(F32X4_SUB),
    ...set(tt),
    ...get(hxs),
    ...get(r1),
    ...get(tt),
    ...op(F32X4_SUB),
    ...f32x4(6),
    ...get(r),
    ...get(tt),
    ...op(F32X4_MUL),
    ...op(F32X4_SUB),
    ...op(F32X4_DIV),
    ...op(F32X4_MUL),
    ...set(e),
    // e2 = (r·(e − c) − c) − hxs
    ...get(r),
    ...get(e),
    ...get(c),
    ...op(F32X4_SUB),
    ...op(F32X4_MUL),
    ...get(c),
    ...op(F32X4_SUB),
    ...get(hxs),
    ...op(F32X4_SUB),
    ...set(e2),
    // the cases of k: 0, −1, 1 (r below −0.25 or not), 2…22, 23 and up
    ...select(
      // k = 0: r − (r·e − hxs)
      [
        ...get(r),
        ...get(r),
        ...get(e),
        ...op(F32X4_MUL),
        ...get(hxs),
        ...op(F32X4_SUB),
        ...op(F32X4_SUB),
      ],
      select(
        // k = −1: 0.5·(r − e2) − 0.5
        [
          ...f32x4(0.5),
          ...get(r),
          ...get(e2),
          ...op(F32X4_SUB),
          ...op(F32X4_MUL),
          ...f32x4(0.5),
          ...op(F32X4_SUB),
        ],
        select(
          select(
            // k = 1, r < −0.25: −2·(e2 − (r + 0.5))
            [
              ...f32x4(-2),
              ...get(e2),
              ...get(r),
              ...f32x4(0.5),
              ...op(F32X4_ADD),
              ...op(F32X4_SUB),
              ...op(F32X4_MUL),
            ],
            // k = 1: 1 + 2·(r − e2)
            [
              ...f32x4(1),
              ...f32x4(2),
              ...get(r),
              ...get(e2),
              ...op(F32X4_SUB),
              ...op(F32X4_MUL),
              ...op(F32X4_ADD),
            ],
            [...get(r), ...f32x4(-0.25), ...op(F32X4_LT)],
          ),
          select(
            // k < 23: ((r − e2) + (1 − 2^−k))·2^k
            [
              ...get(r),
              ...get(e2),
              ...op(F32X4_SUB),
              ...f32x4(1),
              ...twoTo([...i32x4(0x7f), ...get(k), ...op(I32X4_SUB)]),
              ...op(F32X4_SUB),
              ...op(F32X4_ADD),
              ...twoTo([...i32x4(0x7f), ...get(k), ...op(I32X4_ADD)]),
              ...op(F32X4_MUL),
            ],
            // k ≥ 23: ((r − (e2 + 2^−k)) + 1)·2^k
            [
              ...get(r),
              ...get(e2),
              ...twoTo([...i32x4(0x7f), ...get(k), ...op(I32X4_SUB)]),
              ...op(F32X4_ADD),
              ...op(F32X4_SUB),
              ...f32x4(1),
              ...op(F32X4_ADD),
              ...twoTo([...i32x4(0x7f), ...get(k), ...op(I32X4_ADD)]),
              ...op(F32X4_MUL),
            ],
            [...get(k), ...i32x4(23), ...op(I32X4_LT_S)],
          ),
          kIs(1),
        ),
        kIs(-1),
      ),
      kIs(0),
    ),
    // |arg| < 2^−25: arg itself
    ...set(em1),
    ...select(get(arg), get(em1), lt(ea, 0x33000000)),
    ...set(em1),
    // tanh|x|: 1 above 10 (NaN stays NaN: tanhf's 1 + 0/|x|), 1 − 2/(t + 2) above log(3)/2,
    // t/(t + 2) above log(5/3)/2, −t/(t + 2) (= −(t/(t + 2)) exactly) down to the least normal,
    // |x| below; one division d for the three middle cases (their lanes are apart)
    ...select(f32x4(2), get(em1), gt(w, 0x3f0c9f54)),
    ...get(em1),
    ...f32x4(2),
    ...op(F32X4_ADD),
    ...op(F32X4_DIV),
    ...set(d),
    ...select(
      select([...get(ax), ...f32x4(1), ...op(F32X4_ADD)], f32x4(1), [
        ...get(ax),
        ...get(ax),
        ...op(F32X4_NE),
      ]),
      select(
        [...f32x4(1), ...get(d), ...op(F32X4_SUB)],
        // the small range (its mask from the start): −d or |x|; else d
        select(
          select([...get(d), ...op(F32X4_NEG)], get(ax), [
            ...get(w),
            ...i32x4(0x00800000),
            ...op(I32X4_GE_S),
          ]),
          get(d),
          get(small),
        ),
        gt(w, 0x3f0c9f54),
      ),
      gt(w, 0x41200000),
    ),
    ...set(res),
    // the sign of x back on
    ...sum(out, i),
    ...get(res),
    ...get(xs),
    ...i32x4(0x80000000),
    ...op(V128_AND),
    ...op(V128_XOR),
    ...store128,
  ];
  const loop = counted(i, get(bytes), 16, element);
  const init = [...constants.keys()].flatMap((key) => [
    ...key.split(',').map(Number),
    ...set(constants.get(key)!),
  ]);
  return funcBody(
    [
      [1, I32],
      [23 + constants.size, V128],
    ],
    [...init, ...loop],
  );
}
