/**
 * A byte-level assembler for the library's WebAssembly SIMD loops: opcodes of the WebAssembly
 * 2.0 binary format (SIMD included), LEB128 integers, a few structured-control helpers (`counted`,
 * `whileLoop`), and the sections of a module. No build step and no binary in the repository: the
 * loops (`*.loops.ts` beside the kernels that call them) are written with these, and
 * `modules.ts` assembles them into modules.
 *
 * @module
 */

// Opcodes (the WebAssembly 2.0 binary format).
export const I32 = 0x7f;
export const V128 = 0x7b;
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const IF = 0x04;
export const ELSE = 0x05;
export const END = 0x0b;
export const SELECT = 0x1b;
export const BR = 0x0c;
export const BR_IF = 0x0d;
export const GET = 0x20;
export const SET = 0x21;
export const I32_LOAD = 0x28;
export const I32_STORE = 0x36;
export const I32_CONST = 0x41;
export const I32_EQZ = 0x45;
export const I32_LT_S = 0x48;
export const I32_GE_S = 0x4e;
export const I32_GT_S = 0x4a;
export const I32_DIV_U = 0x6e;
export const I32_ADD = 0x6a;
export const I32_MUL = 0x6c;
export const I32_SUB = 0x6b;
export const I32_AND = 0x71;
export const SIMD = 0xfd;
export const V128_LOAD = 0x00;
/** v128.load32_splat: one float from memory into all four lanes. */
export const V128_LOAD32_SPLAT = 0x09;
export const V128_STORE = 0x0b;
export const V128_CONST = 0x0c;
export const I32X4_EQ = 0x37;
export const I32X4_LT_S = 0x39;
export const I32X4_GT_S = 0x3b;
export const I32X4_GE_S = 0x3f;
export const F32X4_NE = 0x42;
export const F32X4_LT = 0x43;
export const F32X4_GT = 0x44;
export const F32X4_GE = 0x46;
export const V128_NOT = 0x4d;
export const V128_AND = 0x4e;
export const V128_XOR = 0x51;
export const V128_BITSELECT = 0x52;
export const I32X4_SHL = 0xab;
export const I32X4_ADD = 0xae;
export const I32X4_SUB = 0xb1;
export const I32X4_MAX_S = 0xb8;
export const I32X4_TRUNC_SAT_F32X4_S = 0xf8;
export const F32X4_CONVERT_I32X4_S = 0xfa;
export const F32X4_ABS = 0xe0;
export const F32X4_NEG = 0xe1;
export const F32X4_SUB = 0xe5;
export const I8X16_SHUFFLE = 0x0d;
export const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
/** f32x4.demote_f64x2_zero: two float64 lanes rounded to float32 (lanes 2–3 zero). */
export const F32X4_DEMOTE_F64X2_ZERO = 0x5e;
export const F64X2_ADD = 0xf0;
export const F32X4_ADD = 0xe4;
export const F32X4_MUL = 0xe6;
/** Relaxed SIMD: a·b + c, fused where the hardware fuses (a proposal shipped in V8 11.4). */
export const F32X4_RELAXED_MADD = 0x105;
export const F32_LOAD = 0x2a;
export const F32_STORE = 0x38;
export const F32_ADD = 0x92;
export const F32 = 0x7d;
export const TEE = 0x22;
export const F32_CONST = 0x43;
export const F32_SUB = 0x93;
export const F32_MUL = 0x94;
export const F32_DIV = 0x95;
export const F32_SQRT = 0x91;
export const F32X4_SPLAT = 0x13;
export const F32X4_EXTRACT_LANE = 0x1f;
export const F32X4_DIV = 0xe7;
export const F32X4_SQRT = 0xe3;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export const simd = (op: number) => [SIMD, ...uleb(op)];
export const get = (i: number) => [GET, i];
export const set = (i: number) => [SET, i];
export const i32 = (n: number) => [I32_CONST, ...sleb(n)];
export const memarg = (align: number) => [align, 0];
export const load128 = [...simd(V128_LOAD), ...memarg(0)];
export const store128 = [...simd(V128_STORE), ...memarg(0)];
export const load128At = (offset: number) => [...simd(V128_LOAD), 0, ...uleb(offset)];
export const store128At = (offset: number) => [...simd(V128_STORE), 0, ...uleb(offset)];
/** Four float32 zeros (f32.const 0 splatted). */
export const ZERO_F32X4 = [F32_CONST, 0, 0, 0, 0, ...simd(F32X4_SPLAT)];
/** A v128 constant of four equal 32-bit lanes. */
export function splat32(bits: number): number[] {
  const lane = [bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, (bits >>> 24) & 0xff];
  return [...simd(V128_CONST), ...lane, ...lane, ...lane, ...lane];
}
/** `block loop … (exit when cond) … br loop end end`: a while loop over `body`. */
export function whileLoop(exitWhen: number[], body: number[]): number[] {
  return [BLOCK, 0x40, LOOP, 0x40, ...exitWhen, BR_IF, 1, ...body, BR, 0, END, END];
}
/** local ← local + the value `value` pushes. */
export const addTo = (local: number, value: number[]) => [
  ...get(local),
  ...value,
  I32_ADD,
  ...set(local),
];
/**
 * The local `acc` ← acc + a·b, `ab` pushing a then b (f32x4): one `f32x4.relaxed_madd` where
 * `fused` (a single rounding where the hardware fuses), else a multiply and an add.
 */
export function multiplyAdd(acc: number, ab: number[], fused: boolean): number[] {
  return fused
    ? [...ab, ...get(acc), ...simd(F32X4_RELAXED_MADD), ...set(acc)]
    : [...get(acc), ...ab, ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(acc)];
}
/** Each local of `to` ← the local before it (`from` for the first) + the local `stride`. */
export function strided(from: number, stride: number, to: number[]): number[] {
  return to.flatMap((local, i) => [
    ...get(i === 0 ? from : to[i - 1]!),
    ...get(stride),
    I32_ADD,
    ...set(local),
  ]);
}
/** for (counter = 0; counter < limit; counter += step) body. */
export function counted(counter: number, limit: number[], step: number, body: number[]): number[] {
  return [
    ...i32(0),
    ...set(counter),
    ...whileLoop([...get(counter), ...limit, I32_GE_S], [...body, ...addTo(counter, i32(step))]),
  ];
}
/** local ← 4 · the local `count` (a count of floats in bytes). */
export const bytesOf = (count: number, local: number) => [
  ...get(count),
  ...i32(4),
  I32_MUL,
  ...set(local),
];
/** The address a + b of two locals. */
export const sum = (a: number, b: number) => [...get(a), ...get(b), I32_ADD];
/** A function body: its locals (count, type) and instructions. */
export const funcBody = (locals: [number, number][], body: number[]) => [
  ...vec(locals),
  ...body,
  END,
];
export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}
export function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
export function name(s: string): number[] {
  return vec([...s].map((ch) => [ch.charCodeAt(0)]));
}

/** `\\0asm`, version 1. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
