// Winograd tiles: which F(mh x mw, kh x kw) a stride-1 convolution uses, chosen from what a
// secret product costs under the protocol. ml.py's PpvcWinogradConv2d builds the transforms
// from the points 0, 1, -1, 2, -2 and infinity (at most 6 per axis: larger tiles need points
// like 1/2 whose transforms magnify rounding beyond what a 64-bit ring leaves room for).
//
//  - Dot products cost one value per result (replicated sharing): Winograd's gain is local
//    arithmetic, its price more results. Only F(2x2, 3x3), whose weight transform is exact,
//    as measured (README, "Optimisations").
//  - Dot products cost a triple per term (semi2k, spdz2k): the tile per layer that needs the
//    fewest secret products, counting each transformed weight that needs a truncation (tiles
//    with more than 4 points per axis: denominators of 3) as one more (a 61-bit truncation
//    costs half a product's preprocessing under semi2k).
import { PROTOCOLS } from '../backend/protocols.js';
import type { Target } from '../ir/pipeline.js';

export interface WinogradConv {
  /** [h, w, c] */
  inShape: number[];
  /** [h, w, k] */
  outShape: number[];
  kernel: [number, number];
  strides: [number, number];
}

/** Most transform points per axis (the helper's point list: 0, 1, -1, 2, -2, infinity). */
export const MAX_POINTS = 6;
/** Fractional bits the ring must leave above k + f for a tile with an inexact weight transform. */
export const MIN_EXTRA_BITS = 10;

/** Tiles with at most 4 points per axis use 0, 1, -1 only: their G has power-of-two denominators. */
export function exactTransform(m: number, r: number): boolean {
  return m + r - 1 <= 4;
}

/** Secret products (and weight truncations) of a tile choice, for `batch` frames. */
export function winogradCost(conv: WinogradConv, batch: number, tile: [number, number]): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  const c = conv.inShape[2]!;
  const [mh, mw] = tile;
  const [ah, aw] = [mh + conv.kernel[0] - 1, mw + conv.kernel[1] - 1];
  const products = batch * Math.ceil(oh / mh) * Math.ceil(ow / mw) * ah * aw * c * k;
  const exact = exactTransform(mh, conv.kernel[0]) && exactTransform(mw, conv.kernel[1]);
  return products + (exact ? 0 : ah * aw * c * k);
}

export function directCost(conv: WinogradConv, batch: number): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  return batch * oh * ow * conv.kernel[0] * conv.kernel[1] * conv.inShape[2]! * k;
}

/** The output tile [mh, mw] for this convolution, or undefined for the direct convolution. */
export function winogradTile(conv: WinogradConv, batch: number, target: Target): [number, number] | undefined {
  if (!target.optimizations.winograd || conv.strides[0] !== 1 || conv.strides[1] !== 1) return undefined;
  const [kh, kw] = conv.kernel;
  if (PROTOCOLS[target.protocol].dotProduct === 'per-result') return kh === 3 && kw === 3 ? [2, 2] : undefined;
  const roomForInexact = target.ringBits - 2 - target.k - target.f >= MIN_EXTRA_BITS;
  const sizes = (r: number) => (r === 1 ? [1] : Array.from({ length: Math.max(0, MAX_POINTS - r) }, (_, i) => i + 2));
  let best: { tile: [number, number]; cost: number } | undefined;
  for (const mh of sizes(kh)) {
    for (const mw of sizes(kw)) {
      if (mh === 1 && mw === 1) continue;
      if (!roomForInexact && !(exactTransform(mh, kh) && exactTransform(mw, kw))) continue;
      const cost = winogradCost(conv, batch, [mh, mw]);
      // ties: the smaller tile (fewer points, less rounding)
      if (!best || cost < best.cost) best = { tile: [mh, mw], cost };
    }
  }
  return best && best.cost < directCost(conv, batch) ? best.tile : undefined;
}
