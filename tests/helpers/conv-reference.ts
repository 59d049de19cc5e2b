/**
 * Naive float64 reference gradients of conv2d and depthwise conv2d (NHWC), for any stride,
 * dilation and explicit padding: the definition, summed term by term.
 */
export interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  /** conv2d: output channels; depthwise: channel multiplier. */
  out: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
}

export function outSize(c: ConvCase): [number, number] {
  const [kh, kw] = c.kernel;
  const eh = (kh - 1) * c.dilation[0] + 1;
  const ew = (kw - 1) * c.dilation[1] + 1;
  return [
    Math.floor((c.height + c.pads[0] + c.pads[1] - eh) / c.stride[0]) + 1,
    Math.floor((c.width + c.pads[2] + c.pads[3] - ew) / c.stride[1]) + 1,
  ];
}

/** conv(x, w), and the gradients of Σ dy·conv(x, w) with respect to x and w. */
export function convGrads(
  c: ConvCase,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  depthwise: boolean,
) {
  const [OH, OW] = outSize(c);
  const { batch: B, height: H, width: W, inChannels: C, out } = c;
  const [KH, KW] = c.kernel;
  const OC = depthwise ? C * out : out;
  const dx = new Float64Array(B * H * W * C);
  const dw = new Float64Array(KH * KW * C * out);
  const y = new Float64Array(B * OH * OW * OC);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * c.stride[0] + kh * c.dilation[0] - c.pads[0];
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * c.stride[1] + kw * c.dilation[1] - c.pads[2];
            if (iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < C; ci++) {
              const xi = ((b * H + ih) * W + iw) * C + ci;
              if (depthwise) {
                for (let q = 0; q < out; q++) {
                  const g = dy[((b * OH + oh) * OW + ow) * OC + ci * out + q]!;
                  const wi = ((kh * KW + kw) * C + ci) * out + q;
                  y[((b * OH + oh) * OW + ow) * OC + ci * out + q]! += x[xi]! * w[wi]!;
                  dx[xi]! += g * w[wi]!;
                  dw[wi]! += g * x[xi]!;
                }
              } else {
                for (let co = 0; co < out; co++) {
                  const g = dy[((b * OH + oh) * OW + ow) * OC + co]!;
                  const wi = ((kh * KW + kw) * C + ci) * out + co;
                  y[((b * OH + oh) * OW + ow) * OC + co]! += x[xi]! * w[wi]!;
                  dx[xi]! += g * w[wi]!;
                  dw[wi]! += g * x[xi]!;
                }
              }
            }
          }
        }
  return { y, dx, dw, outShape: [B, OH, OW, OC] as [number, number, number, number] };
}

/** Largest |value|, for tolerances relative to the largest gradient. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
