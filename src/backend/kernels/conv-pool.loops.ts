/**
 * The filter and bias gradients of a 3×3 convolution (stride 1) whose ReLU output went through a
 * 2×2, stride-2 max pooling, straight from the pooling's gradient (`convPoolGradient`), in
 * WebAssembly SIMD.
 *
 * @module
 */
import { ones, reluGradProduct } from './leaky-relu.loops.js';
import { maximumStep } from './max-pool.loops.js';
import {
  addTo,
  counted,
  END,
  F32X4_ADD,
  F32X4_GT,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_LOAD,
  I32_MUL,
  I32X4_EQ,
  I32X4_MAX_S,
  IF,
  i32,
  load128,
  load128At,
  multiplyAdd,
  SELECT,
  set,
  simd,
  splat32,
  store128,
  sum,
  TEE,
  uleb,
  V128,
  V128_AND,
  V128_LOAD32_SPLAT,
} from './simd/assembler.js';

/** The address on the stack plus the local's value (nothing for none). */
const plus = (local?: number) => (local === undefined ? [] : [...get(local), I32_ADD]);

/** The four places of a 2×2 pooling window, (row, column), in row-major order. */
const PLACES = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
] as const;

/** Loads a parameter block's i32 fields ([local, byte offset] pairs) into locals. */
function loadFields(params: number, fields: [number, number][]): number[] {
  return fields.flatMap(([local, offset]) => [
    ...get(params),
    I32_LOAD,
    2,
    ...uleb(offset),
    ...set(local),
  ]);
}

/** local ← base + from · Π factors (locals) · constant: e.g. the first image's row of a tensor. */
function imageStart(
  local: number,
  base: number,
  from: number,
  factors: number[],
  constant = 1,
): number[] {
  return [
    ...get(base),
    ...get(from),
    ...factors.flatMap((f) => [...get(f), I32_MUL]),
    ...(constant === 1 ? [] : [...i32(constant), I32_MUL]),
    I32_ADD,
    ...set(local),
  ];
}

/**
 * The 4 × 4 input patch of a pooling window of a 3×3 convolution at stride 1 (rows and pixels of
 * the padded input `xRow` and `xPixel` bytes apart): `setup` fills the locals `steps` (2 and 3
 * rows, 2 and 3 pixels); `splat(xp, R, C)` pushes patch entry (R, C) of the patch at the local
 * `xp`, in every lane.
 */
function windowPatch(
  xRow: number,
  xPixel: number,
  steps: [number, number, number, number],
): { setup: number[]; splat: (xp: number, R: number, C: number) => number[] } {
  const [xr2, xr3, xp2, xp3] = steps;
  const rows = [undefined, xRow, xr2, xr3];
  const cols = [undefined, xPixel, xp2, xp3];
  return {
    setup: [
      ...sum(xRow, xRow),
      ...set(xr2),
      ...sum(xr2, xRow),
      ...set(xr3),
      ...sum(xPixel, xPixel),
      ...set(xp2),
      ...sum(xp2, xPixel),
      ...set(xp3),
    ],
    splat: (xp, R, C) => [
      ...get(xp),
      ...plus(rows[R]),
      ...plus(cols[C]),
      ...simd(V128_LOAD32_SPLAT),
      2,
      0,
    ],
  };
}

/** The byte offsets of the parameter block's fields (i32 each). @internal */
export const CONV_POOL_PARAMS = {
  /** The convolution's output after its ReLU, [B, 2·Ho, 2·Wo, C]. */
  y: 0,
  /** The pooling's gradient, [B, Ho, Wo, C]. */
  dy: 4,
  /** The convolution's input with its padding written out, [B, Hp, Wp, ci]. */
  x: 8,
  Ho: 12,
  Wo: 16,
  /** C·4: a pixel of y and dy, and the step from one input channel's filter gradient to the next. */
  pixel: 20,
  /** A row of y: 2·Wo·C·4. */
  yRow: 24,
  /** A pixel of x: ci·4. */
  xPixel: 28,
  /** A row of x: Wp·ci·4. */
  xRow: 32,
  /** An image of x: Hp·Wp·ci·4. */
  xImage: 36,
  /** One tap of the filter gradient: ci·C·4. */
  tap: 40,
  /** The input channels. */
  channels: 44,
  /** Where in the accumulator the bias gradient lies (after the 9 taps), and a scratch row of C. */
  db: 48,
  scratch: 52,
} as const;
/** The parameter block's size in bytes. @internal */
export const CONV_POOL_PARAM_BYTES = 56;

/**
 * convPoolGradient: for the images [from, from + count), adds into the accumulator `acc` the
 * filter gradient dW[ky][kx][c][o] = Σ δ[b, i, j, o] · x[b, i + ky, j + kx, c] and (at the
 * field `db`) the bias gradient Σ δ[b, i, j, o] of a 3×3 convolution at stride 1, where x is its
 * input padded (the field `x`) and δ = MaxPoolGrad(dy) · step(y), the pooling's gradient taken
 * through the ReLU whose output y it pooled, without writing δ: in each 2×2 window the gradient
 * goes to the first maximum (strictly greater wins; NaN never; a window with no maximum above −∞
 * passes nothing), and each of the four values is multiplied by step(y) (1 above 0, NaN for NaN,
 * else 0) as `maxPoolReluGrad2x2Rows` writes it: the same δ, bit for bit. Sums run over the
 * windows in order (images, pooled rows, windows), the four places of a window in row-major
 * order, a multiply then an add per term (one `f32x4.relaxed_madd` where `relaxed`).
 *
 * Four output channels at a time: for each pooled row and each four channels the 9 + 1
 * accumulators are read from `acc`, carried along the row's windows in registers, and written
 * back; the row of y stays in the first-level cache from one four channels to the next. With
 * several input channels, the whole sweep runs once for each (the bias sums into the scratch row
 * after the first).
 *
 * Params 0 the parameter block ({@link CONV_POOL_PARAMS}), 1 from (an image), 2 count (images),
 * 3 acc (9 taps of ci·C floats, then the bias row and the scratch row of C floats; zeroed by the
 * caller), 4–6 unused.
 */
export function convPoolGradientBody(relaxed = false): number[] {
  const [params, from, count, acc] = [0, 1, 2, 3];
  // i32 locals from 7: the block's fields, then the loop's own
  const [y, dy, x, Ho, Wo, pixel, yRow, xPixel, xRow, xImage, tap, channels, dbField, scratch] = [
    7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
  ];
  const [c, img, r, cv, w, yRowAt, dyRowAt, xRowAt, xImgAt, tapAt, dbAt, yp, dp, xp] = [
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  ];
  const [xr2, xr3, xp2, xp3, a] = [35, 36, 37, 38, 39];
  const I32_LOCALS = 33;
  // v128 locals: 9 tap sums, the bias sum, the window's four values, best, idx, g, δ, one, t
  const v0 = 7 + I32_LOCALS;
  const sums = Array.from({ length: 9 }, (_, t) => v0 + t);
  const bias = v0 + 9;
  const vals = [0, 1, 2, 3].map((k) => v0 + 10 + k);
  const [best, idx, g, d, one, t, m] = [14, 15, 16, 17, 18, 19, 20].map((i) => v0 + i) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const V128_LOCALS = 21;

  const P = CONV_POOL_PARAMS;
  const patch = windowPatch(xRow, xPixel, [xr2, xr3, xp2, xp3]);
  const setup = [
    ...loadFields(params, [
      [y, P.y],
      [dy, P.dy],
      [x, P.x],
      [Ho, P.Ho],
      [Wo, P.Wo],
      [pixel, P.pixel],
      [yRow, P.yRow],
      [xPixel, P.xPixel],
      [xRow, P.xRow],
      [xImage, P.xImage],
      [tap, P.tap],
      [channels, P.channels],
      [dbField, P.db],
      [scratch, P.scratch],
    ]),
    ...patch.setup,
    ...ones(one),
  ];
  const yAt = (k: number) => {
    const [dr, dc] = PLACES[k]!;
    return [...get(yp), ...(dr ? plus(yRow) : []), ...(dc ? plus(pixel) : []), ...load128];
  };

  const window = [
    // the window's values and its first maximum
    ...splat32(0xff800000), // −∞
    ...set(best),
    ...splat32(-1),
    ...set(idx),
    ...[0, 1, 2, 3].flatMap((k) => [
      ...yAt(k),
      ...set(vals[k]!),
      ...maximumStep(vals[k]!, best, m, F32X4_GT, [idx, k]),
    ]),
    ...get(dp),
    ...load128,
    ...set(g),
    ...PLACES.flatMap(([dr, dc], k) => {
      const routed = [...get(idx), ...splat32(k), ...simd(I32X4_EQ), ...get(g), ...simd(V128_AND)];
      return [
        ...reluGradProduct(routed, get(vals[k]!), one, t),
        ...set(d),
        ...get(bias),
        ...get(d),
        ...simd(F32X4_ADD),
        ...set(bias),
        ...sums.flatMap((sumLocal, i) =>
          multiplyAdd(
            sumLocal,
            [...get(d), ...patch.splat(xp, dr + Math.floor(i / 3), dc + (i % 3))],
            relaxed,
          ),
        ),
      ];
    }),
    ...addTo(yp, [...get(pixel), ...get(pixel), I32_ADD]),
    ...addTo(dp, get(pixel)),
    ...addTo(xp, get(xp2)),
  ];
  // the accumulators of four channels: tap s at a + s·tap, the bias at dbAt + cv
  const sumAt = (s: number) => [
    ...get(a),
    ...(s === 0 ? [] : [...i32(s), ...get(tap), I32_MUL, I32_ADD]),
  ];
  const fourChannels = [
    ...sum(tapAt, cv),
    ...set(a),
    ...sums.flatMap((s, i) => [...sumAt(i), ...load128, ...set(s)]),
    ...sum(dbAt, cv),
    ...load128,
    ...set(bias),
    ...sum(yRowAt, cv),
    ...set(yp),
    ...sum(dyRowAt, cv),
    ...set(dp),
    ...get(xRowAt),
    ...set(xp),
    ...counted(w, get(Wo), 1, window),
    ...sums.flatMap((s, i) => [...sumAt(i), ...get(s), ...store128]),
    ...sum(dbAt, cv),
    ...get(bias),
    ...store128,
  ];
  const pooledRow = [
    ...counted(cv, get(pixel), 16, fourChannels),
    ...addTo(yRowAt, [...get(yRow), ...get(yRow), I32_ADD]),
    ...addTo(dyRowAt, [...get(Wo), ...get(pixel), I32_MUL]),
    ...addTo(xRowAt, get(xr2)),
  ];
  const image = [
    ...get(xImgAt),
    ...set(xRowAt),
    ...counted(r, get(Ho), 1, pooledRow),
    ...addTo(xImgAt, get(xImage)),
  ];
  const channel = [
    // the first image's rows of y and dy, its x at this input channel
    ...imageStart(yRowAt, y, from, [Ho, yRow], 2),
    ...imageStart(dyRowAt, dy, from, [Ho, Wo, pixel]),
    ...imageStart(xImgAt, x, from, [xImage]),
    ...addTo(xImgAt, [...get(c), ...i32(4), I32_MUL]),
    // this channel's taps; the bias row for the first channel, the scratch row after
    ...imageStart(tapAt, acc, c, [pixel]),
    ...get(acc),
    ...get(dbField),
    ...get(scratch),
    ...get(c),
    I32_EQZ,
    SELECT,
    I32_ADD,
    ...set(dbAt),
    ...counted(img, get(count), 1, image),
  ];
  return funcBody(
    [
      [I32_LOCALS, I32],
      [V128_LOCALS, V128],
    ],
    [...setup, ...counted(c, get(channels), 1, channel)],
  );
}

/** The byte offsets of the forward's parameter block's fields (i32 each). @internal */
export const CONV_SMALL_PARAMS = {
  /** The input with its padding written out, [B, Hp, Wp, ci]. */
  x: 0,
  /** The filter packed as [ci][C/4][9 taps][4 channels]. */
  w: 4,
  /** C floats (zeros for no bias). */
  bias: 8,
  /** The output, [B, 2·Ho, 2·Wo, C]. */
  y: 12,
  /** Its 2×2 max pooling, [B, Ho, Wo, C], or 0 for none. */
  pooled: 16,
  Ho: 20,
  Wo: 24,
  /** C·4. */
  pixel: 28,
  /** A row of y: 2·Wo·C·4. */
  yRow: 32,
  /** A pixel of x: ci·4. */
  xPixel: 36,
  /** A row of x: Wp·ci·4. */
  xRow: 40,
  /** An image of x. */
  xImage: 44,
  /** The input channels. */
  channels: 48,
  /** 1 for a ReLU after the bias, else 0. */
  relu: 52,
  /** One input channel of the packed filter: (C/4)·9·16 bytes. */
  wChannel: 56,
} as const;
/** The forward's parameter block's size in bytes. @internal */
export const CONV_SMALL_PARAM_BYTES = 60;

/**
 * convSmall: y = act(conv(x, w) + b) for a 3×3 filter at stride 1 over few input channels (a
 * network's first layer on grey or colour images), for the images [from, from + count), and with
 * a `pooled` address its 2×2, stride-2 max pooling in the same pass (the first maximum, strictly
 * greater, from −∞: `maxPool2x2Rows`' rule, so the same bits). Each 2×2 block of outputs (a
 * pooling window) four output channels at a time: its 4 × 4 input patch read as splats, the nine
 * taps' four-channel weights at fixed offsets of the packed filter, four sums from the bias in
 * order of input channel, then tap (a multiply and an add per term; one `f32x4.relaxed_madd`
 * where `relaxed`); ReLU keeps a value whose sign bit is clear and makes any other +0 (the rule
 * of the library's `Relu`).
 *
 * Params 0 the parameter block ({@link CONV_SMALL_PARAMS}), 1 from (an image), 2 count (images),
 * 3–6 unused.
 */
export function convSmallBody(relaxed = false): number[] {
  const [params, from, count] = [0, 1, 2];
  const names = [
    'x',
    'w',
    'bias',
    'y',
    'pooled',
    'Ho',
    'Wo',
    'pixel',
    'yRow',
    'xPixel',
    'xRow',
    'xImage',
    'channels',
    'relu',
    'wChannel',
  ] as const;
  const F = Object.fromEntries(names.map((n, i) => [n, 7 + i])) as Record<
    (typeof names)[number],
    number
  >;
  const [img, r, wi, cv, c, yRowAt, pRowAt, xRowAt, xImgAt, yp, pp, xp, wc, xc] = [
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
  ];
  const [xr2, xr3, xp2, xp3] = [36, 37, 38, 39];
  const I32_LOCALS = 33;
  const v0 = 7 + I32_LOCALS;
  const accs = [0, 1, 2, 3].map((k) => v0 + k);
  const [wv, best, m, zero] = [v0 + 4, v0 + 5, v0 + 6, v0 + 7];
  const V128_LOCALS = 8;

  const patch = windowPatch(F.xRow, F.xPixel, [xr2, xr3, xp2, xp3]);
  const setup = [
    ...loadFields(
      params,
      names.map((n) => [F[n], CONV_SMALL_PARAMS[n]]),
    ),
    ...patch.setup,
    ...splat32(0),
    ...set(zero),
    // the first image's rows of x, y and the pooling
    ...imageStart(xImgAt, F.x, from, [F.xImage]),
    ...imageStart(yRowAt, F.y, from, [F.Ho, F.yRow], 2),
    ...imageStart(pRowAt, F.pooled, from, [F.Ho, F.Wo, F.pixel]),
  ];
  const yOff = [[], plus(F.pixel), plus(F.yRow), [...plus(F.yRow), ...plus(F.pixel)]];
  // one input channel: nine taps, each four products into the window's four sums
  const channel = [
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].flatMap((t) => {
      const [ky, kx] = [Math.floor(t / 3), t % 3];
      return [
        ...get(wc),
        ...load128At(16 * t),
        ...set(wv),
        ...PLACES.flatMap(([dr, dc], k) =>
          multiplyAdd(accs[k]!, [...get(wv), ...patch.splat(xc, dr + ky, dc + kx)], relaxed),
        ),
      ];
    }),
    ...addTo(wc, get(F.wChannel)),
    ...addTo(xc, i32(4)),
  ];
  const fourChannels = [
    ...accs.flatMap((acc) => [...sum(F.bias, cv), ...load128, ...set(acc)]),
    // the packed filter's four channels: 9 · 16 bytes each
    ...get(F.w),
    ...get(cv),
    ...i32(9),
    I32_MUL,
    I32_ADD,
    ...set(wc),
    ...get(xp),
    ...set(xc),
    ...counted(c, get(F.channels), 1, channel),
    ...accs.flatMap((acc, k) => [
      ...get(yp),
      ...get(cv),
      I32_ADD,
      ...yOff[k]!,
      ...get(acc),
      ...get(zero),
      ...simd(I32X4_MAX_S),
      ...get(acc),
      ...get(F.relu),
      SELECT,
      TEE,
      acc,
      ...store128,
    ]),
    ...get(F.pooled),
    IF,
    0x40,
    ...splat32(0xff800000), // −∞
    ...set(best),
    ...accs.flatMap((acc) => maximumStep(acc, best, m)),
    ...sum(pp, cv),
    ...get(best),
    ...store128,
    END,
  ];
  const window = [
    ...counted(cv, get(F.pixel), 16, fourChannels),
    ...addTo(yp, [...get(F.pixel), ...get(F.pixel), I32_ADD]),
    ...addTo(pp, get(F.pixel)),
    ...addTo(xp, get(xp2)),
  ];
  const row = [
    ...get(yRowAt),
    ...set(yp),
    ...get(pRowAt),
    ...set(pp),
    ...get(xRowAt),
    ...set(xp),
    ...counted(wi, get(F.Wo), 1, window),
    ...addTo(yRowAt, [...get(F.yRow), ...get(F.yRow), I32_ADD]),
    ...addTo(pRowAt, [...get(F.Wo), ...get(F.pixel), I32_MUL]),
    ...addTo(xRowAt, get(xr2)),
  ];
  const image = [
    ...get(xImgAt),
    ...set(xRowAt),
    ...counted(r, get(F.Ho), 1, row),
    ...addTo(xImgAt, get(F.xImage)),
  ];
  return funcBody(
    [
      [I32_LOCALS, I32],
      [V128_LOCALS, V128],
    ],
    [...setup, ...counted(img, get(count), 1, image)],
  );
}
