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
