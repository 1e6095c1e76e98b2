// The raw kernels of the clear-text emulation: dot products, convolutions and window copies over
// float64 arrays in [n, h, w, C] layout. The fixed-point emulation runs them on integer
// representations (exact below 2^53), the interval bounds on real-valued bounds.
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v > m) m = v;
    else if (-v > m) m = -v;
  }
  return m;
}

export interface ConvGeometry {
  n: number;
  H: number;
  W: number;
  Cin: number;
  kh: number;
  kw: number;
  OH: number;
  OW: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

/** sum over the window and input channels of x * w, w in Keras layout [kh, kw, Cin, Cout]. */
export function convRaw(x: Float64Array, w: Float64Array, g: ConvGeometry, Cout: number, acc: Float64Array): void {
  const { n, H, W, Cin, kh, kw, OH, OW, sh, sw, ph, pw } = g;
  const tmp = new Float64Array(Cout);
  const by4 = (Cout & 3) === 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        tmp.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - ph + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pw + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = ((b * H + iy) * W + ix) * Cin;
            const wi0 = (ky * kw + kx) * Cin * Cout;
            for (let ci = 0; ci < Cin; ci++) {
              const xv = x[xi + ci]!;
              if (xv === 0) continue;
              let wi = wi0 + ci * Cout;
              if (by4) {
                for (let co = 0; co < Cout; co += 4, wi += 4) {
                  tmp[co] += xv * w[wi]!;
                  tmp[co + 1] += xv * w[wi + 1]!;
                  tmp[co + 2] += xv * w[wi + 2]!;
                  tmp[co + 3] += xv * w[wi + 3]!;
                }
              } else for (let co = 0; co < Cout; co++) tmp[co] += xv * w[wi + co]!;
            }
          }
        }
        const o = ((b * OH + oy) * OW + ox) * Cout;
        for (let co = 0; co < Cout; co++) acc[o + co] += tmp[co]!;
      }
    }
  }
}

/** Depthwise: output channel c * M + m sums x[.., c] * w[ky, kx, c, m] over the window. */
export function depthwiseRaw(x: Float64Array, w: Float64Array, g: ConvGeometry, M: number, acc: Float64Array): void {
  const { n, H, W, Cin, kh, kw, OH, OW, sh, sw, ph, pw } = g;
  const Cout = Cin * M;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const o = ((b * OH + oy) * OW + ox) * Cout;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - ph + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pw + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = ((b * H + iy) * W + ix) * Cin;
            const wi = (ky * kw + kx) * Cout;
            for (let c = 0; c < Cin; c++) {
              const xv = x[xi + c]!;
              if (xv === 0) continue;
              const j0 = c * M;
              for (let m = 0; m < M; m++) acc[o + j0 + m] += xv * w[wi + j0 + m]!;
            }
          }
        }
      }
    }
  }
}

/** [n, dIn] x [dIn, dOut]. */
export function denseRaw(x: Float64Array, w: Float64Array, n: number, dIn: number, dOut: number, acc: Float64Array): void {
  for (let i = 0; i < dIn; i++) {
    const wi = i * dOut;
    for (let b = 0; b < n; b++) {
      const xv = x[b * dIn + i]!;
      if (xv === 0) continue;
      const o = b * dOut;
      for (let j = 0; j < dOut; j++) acc[o + j] += xv * w[wi + j]!;
    }
  }
}

/** Copies a rows x cols window of every frame between two [h, w, C] layouts: from (top, left)
 * `from` in the source to `to` in the destination (zero padding and cropping). */
export function copyWindow(
  src: Float64Array,
  [H, W, C]: [number, number, number],
  from: [number, number],
  dst: Float64Array,
  [OH, OW]: [number, number],
  to: [number, number],
  [rows, cols]: [number, number],
  n: number,
): void {
  for (let b = 0; b < n; b++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const s = ((b * H + i + from[0]) * W + j + from[1]) * C;
        const d = ((b * OH + i + to[0]) * OW + j + to[1]) * C;
        for (let c = 0; c < C; c++) dst[d + c] = src[s + c]!;
      }
}

/** The geometry of a convolution layer over n frames, with the padding (top, left) its program uses. */
export function convGeometry(
  l: { inShape: number[]; outShape: number[]; kernel: [number, number]; strides: [number, number] },
  n: number,
  [ph, pw]: [number, number],
): ConvGeometry {
  const [H, W, Cin] = l.inShape as [number, number, number];
  const [OH, OW] = l.outShape as [number, number, number];
  return { n, H, W, Cin, kh: l.kernel[0], kw: l.kernel[1], OH, OW, sh: l.strides[0], sw: l.strides[1], ph, pw };
}

/**
 * The maximum or the sum of every pooling window of n frames in [h, w, C] layout; the padding
 * (top, left) is not part of any window (Keras' SAME pooling: padded cells are never counted).
 */
export function poolWindows(
  op: 'max' | 'sum',
  x: Float64Array,
  n: number,
  [H, W, C]: number[],
  [OH, OW]: number[],
  size: [number, number],
  strides: [number, number],
  pads: [number, number],
): Float64Array {
  const out = new Float64Array(n * OH! * OW! * C!);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < OH!; oy++)
      for (let ox = 0; ox < OW!; ox++) {
        const o = ((b * OH! + oy) * OW! + ox) * C!;
        const [ya, yb] = windowSpan(oy, strides[0], pads[0], size[0], H!);
        const [xa, xb] = windowSpan(ox, strides[1], pads[1], size[1], W!);
        for (let c = 0; c < C!; c++) {
          let acc = op === 'max' ? -Infinity : 0;
          for (let iy = ya; iy < yb; iy++)
            for (let ix = xa; ix < xb; ix++) {
              const v = x[((b * H! + iy) * W! + ix) * C! + c]!;
              if (op === 'sum') acc += v;
              else if (v > acc) acc = v;
            }
          out[o + c] = acc;
        }
      }
  return out;
}

/** The input rows (or columns) [from, to) of output row `o`'s window, padding excluded. */
export function windowSpan(o: number, stride: number, pad: number, size: number, extent: number): [number, number] {
  const start = o * stride - pad;
  return [Math.max(start, 0), Math.min(start + size, extent)];
}

/** Channel concatenation of tensors with the same positions: each part's C channels after the previous parts'. */
export function concatChannels(parts: { data: Float64Array; channels: number }[], outSize: number, C: number): Float64Array {
  const positions = outSize / C;
  const y = new Float64Array(outSize);
  let offset = 0;
  for (const { data, channels } of parts) {
    for (let pos = 0; pos < positions; pos++) for (let j = 0; j < channels; j++) y[pos * C + offset + j] = data[pos * channels + j]!;
    offset += channels;
  }
  return y;
}
