// Pure image functions of the video preparation: face crop, bilinear resize, grayscale and
// range normalisation. They follow @vladmandic/human 3.3.6 exactly, so that a prepared frame is
// what Human's emotion model would see for the same face box:
//   - the face is cut out of the full frame with TensorFlow's `cropAndResize` (bilinear,
//     extrapolation value 0 outside the frame) to a 256x256 RGB crop scaled by 1/255
//     (Human's `cutAndResize`, at BlazeFace's input size);
//   - the crop is resized with `resizeBilinear` (alignCorners = false, halfPixelCenters = false)
//     to the model's input size (Human's emotion preprocessing);
//   - grayscale is 0.2989 R + 0.5870 G + 0.1140 B (Human's `constants.rgb`);
//   - Human's emotion model input is (gray - 0.5) * 2, i.e. the range [-1, 1].
// Images are Float32Array/Uint8Array in row-major [height, width, channels] order.

/** A box in pixel coordinates of a frame: (x1, y1) top-left, (x2, y2) bottom-right (exclusive-ish, as Human's boxes). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The size of Human's intermediate face crop: BlazeFace's input size. */
export const HUMAN_CROP_SIZE = 256;

/** Human's default box enlargement: `face.detector.scale` 1.4, i.e. a margin of 0.4 of the detected box. */
export const DEFAULT_MARGIN = 0.4;

/** Human's luma weights for RGB to grayscale (`constants.rgb`, after MATLAB's rgb2gray). */
export const LUMA: readonly [number, number, number] = [0.2989, 0.587, 0.114];

type Pixels = ArrayLike<number>;

/**
 * TensorFlow's `tf.image.cropAndResize` for one box, bilinear, extrapolation value 0.
 * The box is in pixels and is normalised as Human does ([y1/H, x1/W, y2/H, x2/W]); TensorFlow
 * then maps a normalised coordinate v to the pixel position v * (H - 1).
 * Returns [outH, outW, channels] in the units of `src` (no scaling).
 */
export function cropAndResize(
  src: Pixels,
  width: number,
  height: number,
  channels: number,
  box: Box,
  outH: number,
  outW: number,
): Float32Array {
  checkImage(src, width, height, channels);
  const out = new Float32Array(outH * outW * channels); // extrapolated samples stay 0
  const ny1 = box.y1 / height;
  const ny2 = box.y2 / height;
  const nx1 = box.x1 / width;
  const nx2 = box.x2 / width;
  const hScale = outH > 1 ? ((ny2 - ny1) * (height - 1)) / (outH - 1) : 0;
  const wScale = outW > 1 ? ((nx2 - nx1) * (width - 1)) / (outW - 1) : 0;
  // Column sample positions are the same for every row.
  const xLeft = new Int32Array(outW);
  const xRight = new Int32Array(outW);
  const xLerp = new Float64Array(outW);
  const xInside = new Uint8Array(outW);
  for (let x = 0; x < outW; x++) {
    const xi = outW > 1 ? nx1 * (width - 1) + x * wScale : 0.5 * (nx1 + nx2) * (width - 1);
    if (xi < 0 || xi > width - 1) continue;
    xInside[x] = 1;
    xLeft[x] = Math.floor(xi);
    xRight[x] = Math.ceil(xi);
    xLerp[x] = xi - xLeft[x]!;
  }
  for (let y = 0; y < outH; y++) {
    const yi = outH > 1 ? ny1 * (height - 1) + y * hScale : 0.5 * (ny1 + ny2) * (height - 1);
    if (yi < 0 || yi > height - 1) continue;
    const top = Math.floor(yi);
    const bottom = Math.ceil(yi);
    const yLerp = yi - top;
    const topRow = top * width * channels;
    const bottomRow = bottom * width * channels;
    for (let x = 0; x < outW; x++) {
      if (!xInside[x]) continue;
      const l = xLeft[x]! * channels;
      const r = xRight[x]! * channels;
      const xl = xLerp[x]!;
      const o = (y * outW + x) * channels;
      for (let c = 0; c < channels; c++) {
        const tl = src[topRow + l + c]!;
        const tr = src[topRow + r + c]!;
        const bl = src[bottomRow + l + c]!;
        const br = src[bottomRow + r + c]!;
        const t = tl + (tr - tl) * xl;
        const b = bl + (br - bl) * xl;
        out[o + c] = t + (b - t) * yLerp;
      }
    }
  }
  return out;
}

/**
 * TensorFlow's `tf.image.resizeBilinear` with alignCorners = false and halfPixelCenters = false
 * (Human's call): output pixel (r, c) samples the source at (r * inH / outH, c * inW / outW).
 * With an integer ratio this picks every k-th pixel exactly (256 -> 64 keeps every 4th).
 */
export function resizeBilinear(
  src: Pixels,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
): Float32Array {
  checkImage(src, inW, inH, channels);
  const out = new Float32Array(outH * outW * channels);
  const hScale = inH / outH;
  const wScale = inW / outW;
  const c0 = new Int32Array(outW);
  const c1 = new Int32Array(outW);
  const cf = new Float64Array(outW);
  for (let c = 0; c < outW; c++) {
    const s = wScale * c;
    c0[c] = Math.floor(s);
    c1[c] = Math.min(inW - 1, Math.ceil(s));
    cf[c] = s - c0[c]!;
  }
  for (let r = 0; r < outH; r++) {
    const s = hScale * r;
    const r0 = Math.floor(s);
    const r1 = Math.min(inH - 1, Math.ceil(s));
    const rf = s - r0;
    for (let c = 0; c < outW; c++) {
      const o = (r * outW + c) * channels;
      const tl0 = (r0 * inW + c0[c]!) * channels;
      const tr0 = (r0 * inW + c1[c]!) * channels;
      const bl0 = (r1 * inW + c0[c]!) * channels;
      const br0 = (r1 * inW + c1[c]!) * channels;
      for (let k = 0; k < channels; k++) {
        const tl = src[tl0 + k]!;
        const tr = src[tr0 + k]!;
        const bl = src[bl0 + k]!;
        const br = src[br0 + k]!;
        const top = tl + (tr - tl) * cf[c]!;
        const bottom = bl + (br - bl) * cf[c]!;
        out[o + k] = top + (bottom - top) * rf;
      }
    }
  }
  return out;
}

/** RGB [n, 3] to gray [n] with Human's luma weights. */
export function toGrayscale(rgb: Pixels): Float32Array {
  if (rgb.length % 3 !== 0) throw new RangeError(`toGrayscale: ${rgb.length} values is not a whole number of RGB pixels`);
  const n = rgb.length / 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rgb[3 * i]! * LUMA[0] + rgb[3 * i + 1]! * LUMA[1] + rgb[3 * i + 2]! * LUMA[2];
  return out;
}

/** Maps values in [0, 1] linearly onto [lo, hi] (clamped, in place); returns `values`. */
export function normaliseToRange(values: Float32Array, range: readonly [number, number]): Float32Array {
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new RangeError(`normaliseToRange: invalid range [${lo}, ${hi}]`);
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    values[i] = lo + (v < 0 ? 0 : v > 1 ? 1 : v) * span;
  }
  return values;
}

/** The square centre crop of a frame (side = the shorter frame side): the fallback before any face is seen. */
export function centreBox(width: number, height: number): Box {
  const side = Math.min(width, height);
  const x1 = Math.floor((width - side) / 2);
  const y1 = Math.floor((height - side) / 2);
  return { x1, y1, x2: x1 + side, y2: y1 + side };
}

/**
 * Human's face box from a raw BlazeFace box: enlarged around its centre by (1 + margin), made
 * square (the longer side) and rounded to whole pixels (`enlargeBox` then `squarifyBox`).
 */
export function enlargeSquareBox(raw: Box, margin: number): Box {
  const factor = 1 + margin;
  const cx = raw.x1 + (raw.x2 - raw.x1) / 2;
  const cy = raw.y1 + (raw.y2 - raw.y1) / 2;
  const w = Math.abs(raw.x2 - raw.x1) * factor;
  const h = Math.abs(raw.y2 - raw.y1) * factor;
  const half = Math.max(w, h) / 2;
  return { x1: Math.round(cx - half), y1: Math.round(cy - half), x2: Math.round(cx + half), y2: Math.round(cy + half) };
}

export interface FaceInputShape {
  height: number;
  width: number;
  channels: 1 | 3;
  range: readonly [number, number];
  /** The intermediate crop size (Human: 256, BlazeFace's input size). */
  cropSize?: number;
}

/**
 * One frame's model input from an RGB frame (uint8 [H, W, 3]) and a face box, in Human's order:
 * crop to cropSize x cropSize and scale by 1/255, resize to height x width, grayscale if one
 * channel, then map [0, 1] onto `range`. Returns [height, width, channels].
 */
export function faceInput(frame: Pixels, frameWidth: number, frameHeight: number, box: Box, shape: FaceInputShape): Float32Array {
  const crop = shape.cropSize ?? HUMAN_CROP_SIZE;
  const cut = cropAndResize(frame, frameWidth, frameHeight, 3, box, crop, crop);
  for (let i = 0; i < cut.length; i++) cut[i] = cut[i]! / 255;
  const resized = crop === shape.height && crop === shape.width ? cut : resizeBilinear(cut, crop, crop, 3, shape.height, shape.width);
  const pixels = shape.channels === 1 ? toGrayscale(resized) : resized;
  return normaliseToRange(pixels, shape.range);
}

/**
 * Fits a list of per-frame inputs to exactly `n` frames, frame-major: 'pad' repeats the last
 * frame when there are fewer (and keeps the first n when there are more), 'trim' keeps the first
 * n (fewer is an error), 'exact' requires exactly n. Returns null when the policy cannot be met.
 */
export function fitLength(
  frames: readonly Float32Array[],
  n: number,
  mode: 'pad' | 'trim' | 'exact',
): { values: Float32Array; padded: number; dropped: number } | null {
  if (frames.length === 0) return null;
  if (mode === 'exact' && frames.length !== n) return null;
  if (mode === 'trim' && frames.length < n) return null;
  const size = frames[0]!.length;
  const values = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const f = frames[Math.min(i, frames.length - 1)]!;
    if (f.length !== size) throw new RangeError(`fitLength: frame ${i} has ${f.length} values, expected ${size}`);
    values.set(f, i * size);
  }
  return { values, padded: Math.max(0, n - frames.length), dropped: Math.max(0, frames.length - n) };
}

/**
 * Which `n` of `total` frames cover a clip evenly: the middle frame of each of n equal parts,
 * floor((2k + 1) * total / (2n)) for k = 0 .. n-1 (ascending, distinct since total > n). With
 * total <= n, every frame. Integer arithmetic only: the same video always gives the same frames.
 */
export function spreadIndices(total: number, n: number): number[] {
  if (!(Number.isInteger(total) && total >= 0 && Number.isInteger(n) && n >= 1)) throw new RangeError(`spreadIndices(${total}, ${n}): expected integers total >= 0, n >= 1`);
  if (total <= n) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, k) => Math.floor(((2 * k + 1) * total) / (2 * n)));
}

/** Why a face box margin is unusable, or undefined: a fraction of the box in (-1, 10]. */
export function marginProblem(margin: number): string | undefined {
  return Number.isFinite(margin) && margin > -1 && margin <= 10 ? undefined : `margin must be a fraction in (-1, 10], got ${margin}`;
}

function checkImage(src: Pixels, width: number, height: number, channels: number): void {
  if (!(width > 0 && height > 0 && channels > 0) || src.length !== width * height * channels) {
    throw new RangeError(`image of ${src.length} values is not ${height}x${width}x${channels}`);
  }
}

/** Which face a frame contributes when the detector finds several. */
export type FacePick = 'prominent' | 'largest' | 'most-confident';

/**
 * Picks one face: 'prominent' (the largest confidence x box area: a big face wins over a small
 * one unless it is a weak detection), 'largest' (the biggest box; the choice behind
 * ../shared/media/human-crops), or 'most-confident' (Human's own choice with `maxDetected: 1`).
 * Ties go to the more confident face. Returns undefined for no faces.
 */
export function pickFace<T extends { box: Box; score: number }>(faces: readonly T[], pick: FacePick): T | undefined {
  const key = (f: T): number => (pick === 'most-confident' ? f.score : pick === 'largest' ? boxArea(f.box) : f.score * boxArea(f.box));
  let best: T | undefined;
  for (const f of faces) {
    if (!best) best = f;
    else {
      const a = key(f);
      const b = key(best);
      if (a > b || (a === b && f.score > best.score)) best = f;
    }
  }
  return best;
}

export function boxArea(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}
