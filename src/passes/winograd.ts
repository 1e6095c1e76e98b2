// Winograd tiles: which F(mh x mw, kh x kw) a stride-1 convolution uses, chosen from what a
// secret product costs under the protocol. The transforms are built here exactly as ml.py's
// PpvcWinogradConv2d builds them (from the points 0, 1, -1, 2, -2 and infinity; at most 6 per
// axis: larger tiles need points like 1/2 whose transforms magnify rounding beyond what a
// 64-bit ring leaves room for); this side uses them to price a tile, and its tests check them.
//
//  - Dot products cost one value per result (replicated sharing): Winograd's gain is local
//    arithmetic, its price more results. Only F(2x2, 3x3), whose weight transform is exact,
//    as measured (README, "Optimisations").
//  - Dot products cost a triple per term (semi2k, spdz2k): per layer, the tile with the
//    cheapest preprocessing: its secret products, plus, where G has denominators of 3, one
//    truncation per transformed weight, plus the extra fractional bits every output carries
//    into the layer's truncation (priced by the protocol's truncationBitCost: nearly free
//    under semi2k, about a product per bit under spdz2k).
//  - Products are matrix products by homomorphic matrix triples (`matrix-products` under hemi
//    and temi): per layer, the tile or the direct convolution that the time model of
//    passes/matrix-blocks.ts finds fastest, with each tile's truncations of transformed weights
//    and extra output bits. A batch of matrix triples costs its ciphertexts as well as its
//    products, so a layer with few input channels (the paper's first, with one) is faster
//    direct: its Winograd products have an inner dimension of 1.
import { PROTOCOLS } from '../target/protocols.js';
import { convolutionProducts, HEMI_SECONDS, homomorphicProductSeconds } from './matrix-blocks.js';
import type { Target } from '../ir/pipeline.js';

export interface WinogradConv {
  /** [h, w, c] */
  inShape: number[];
  /** [h, w, k] */
  outShape: number[];
  kernel: [number, number];
  strides: [number, number];
  /** Kept a direct convolution (passes/trunc-after-pool.ts: Winograd's extra output bits would not fit untruncated). */
  direct?: boolean;
}

/** Most transform points per axis (0, 1, -1, 2, -2, infinity). */
export const MAX_POINTS = 6;
/** Fractional bits the ring must leave above k + f for a tile with an inexact weight transform. */
export const MIN_EXTRA_BITS = 10;

// ---- exact rational arithmetic (the entries are small: denominators up to 24) ----
export interface Rational {
  n: number;
  d: number;
}
const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));
const rat = (n: number, d = 1): Rational => {
  const g = gcd(n, d) || 1;
  return d < 0 ? { n: -n / g, d: -d / g } : { n: n / g, d: d / g };
};
const add = (a: Rational, b: Rational) => rat(a.n * b.d + b.n * a.d, a.d * b.d);
const mul = (a: Rational, b: Rational) => rat(a.n * b.n, a.d * b.d);
const div = (a: Rational, b: Rational) => rat(a.n * b.d, a.d * b.n);
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;
export const toNumber = (a: Rational) => a.n / a.d;

export interface WinogradTransforms {
  /** m x alpha, integers */
  at: Rational[][];
  /** alpha x r */
  g: Rational[][];
  /** alpha x alpha, integers */
  bt: Rational[][];
}

/**
 * F(m, r) as the transpose of Toom-Cook linear convolution: y = A^T [(G g) * (B^T d)], with
 * A^T = V_m^T, G = V_r, B^T = V_alpha^-T for the evaluation matrices V at the points (infinity:
 * the leading coefficient); each row of B^T is scaled to integers and G's row absorbs it.
 */
export function winogradTransforms(m: number, r: number): WinogradTransforms {
  const n = m + r - 1;
  if (n > MAX_POINTS) throw new Error(`F(${m}, ${r}) needs more than ${MAX_POINTS} points`);
  const points = [0, 1, -1, 2, -2].slice(0, n - 1);
  const evaluation = (degree: number): Rational[][] => [
    ...points.map((p) => Array.from({ length: degree }, (_, i) => rat(p ** i))),
    Array.from({ length: degree }, (_, i) => rat(i === degree - 1 ? 1 : 0)),
  ];
  const at = transpose(evaluation(m));
  const g = evaluation(r);
  const bt = transpose(inverse(evaluation(n)));
  for (let j = 0; j < n; j++) {
    const scale = bt[j]!.reduce((acc, x) => lcm(acc, x.d), 1);
    bt[j] = bt[j]!.map((x) => mul(x, rat(scale)));
    g[j] = g[j]!.map((x) => div(x, rat(scale)));
  }
  return { at, g, bt };
}

function transpose(a: Rational[][]): Rational[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

function inverse(matrix: Rational[][]): Rational[][] {
  const size = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: size }, (_, j) => rat(i === j ? 1 : 0))]);
  for (let c = 0; c < size; c++) {
    const pivot = a.findIndex((row, i) => i >= c && row[c]!.n !== 0);
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const lead = a[c]![c]!;
    a[c] = a[c]!.map((x) => div(x, lead));
    for (let i = 0; i < size; i++) {
      const f = a[i]![c]!;
      if (i !== c && f.n !== 0) a[i] = a[i]!.map((x, j) => add(x, mul(rat(-f.n, f.d), a[c]![j]!)));
    }
  }
  return a.map((row) => row.slice(size));
}

const facts = new Map<string, { scale: number; growth: number }>();

/** The least common denominator of G, and how much the input and output transforms magnify
 * an error in a transformed weight (max over outputs of sum |A^T| * row sums of |B^T|). */
function axisFacts(m: number, r: number): { scale: number; growth: number } {
  const key = `${m},${r}`;
  if (!facts.has(key)) facts.set(key, computeAxisFacts(m, r));
  return facts.get(key)!;
}

function computeAxisFacts(m: number, r: number): { scale: number; growth: number } {
  const { at, g, bt } = winogradTransforms(m, r);
  const scale = g.flat().reduce((acc, x) => lcm(acc, x.d), 1);
  const rowSums = bt.map((row) => row.reduce((s, x) => s + Math.abs(toNumber(x)), 0));
  const growth = Math.max(...at.map((row) => row.reduce((s, x, a) => s + Math.abs(toNumber(x)) * rowSums[a]!, 0)));
  return { scale, growth };
}

/** Whether G's denominators are powers of two (at most 4 points per axis: 0, 1, -1, infinity). */
export function exactTransform(m: number, r: number): boolean {
  const { scale } = axisFacts(m, r);
  return (scale & (scale - 1)) === 0;
}

/** The extra fractional bits e the weights carry, as the helper computes them. */
export function extraBits(kernel: [number, number], tile: [number, number], target: Target): number {
  const h = axisFacts(tile[0], kernel[0]);
  const w = axisFacts(tile[1], kernel[1]);
  const scale = h.scale * w.scale;
  if ((scale & (scale - 1)) === 0) return Math.log2(scale);
  return Math.min(Math.ceil(Math.log2(h.growth * w.growth)), extraBitsRoom(target));
}

/** Fractional bits the ring leaves above k + f, as ml.py's _extra_bits counts them: MP-SPDZ's
 * bit_length (ring - 1) less one bit of headroom and one for the sign. */
function extraBitsRoom(target: Target): number {
  return target.ringBits - 1 - 2 - target.k - target.f;
}

/** Preprocessing of a tile choice in secret products, for `batch` frames. */
export function winogradCost(conv: WinogradConv, batch: number, tile: [number, number], target: Target): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  const c = conv.inShape[2]!;
  const [mh, mw] = tile;
  const [ah, aw] = [mh + conv.kernel[0] - 1, mw + conv.kernel[1] - 1];
  const bitCost = PROTOCOLS[target.protocol].truncationBitCost;
  const products = batch * Math.ceil(oh / mh) * Math.ceil(ow / mw) * ah * aw * c * k;
  const exact = exactTransform(mh, conv.kernel[0]) && exactTransform(mw, conv.kernel[1]);
  const weightTruncations = exact ? 0 : ah * aw * c * k * (target.ringBits - 2) * bitCost;
  const outputBits = batch * oh * ow * k * extraBits(conv.kernel, tile, target) * bitCost;
  return products + weightTruncations + outputBits;
}

export function directCost(conv: WinogradConv, batch: number): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  return batch * oh * ow * conv.kernel[0] * conv.kernel[1] * conv.inShape[2]! * k;
}

/**
 * Seconds a tile (or, without one, the direct convolution) is modelled to take under
 * homomorphic matrix triples: its matrix products, one truncation per transformed weight where
 * the weight transform is inexact, and the extra bits of the outputs' truncation; undefined
 * where the target has no such model.
 */
export function homomorphicConvolutionSeconds(conv: WinogradConv, batch: number, target: Target, tile?: [number, number]): number | undefined {
  const { shape, count } = convolutionProducts(conv, batch, tile);
  const products = homomorphicProductSeconds(target, shape, count);
  if (products === undefined || !tile) return products;
  const [oh, ow, k] = conv.outShape as [number, number, number];
  const exact = exactTransform(tile[0], conv.kernel[0]) && exactTransform(tile[1], conv.kernel[1]);
  const weightTruncations = exact ? 0 : count * conv.inShape[2]! * k * HEMI_SECONDS.perTruncation;
  const outputBits = batch * oh * ow * k * extraBits(conv.kernel, tile, target) * HEMI_SECONDS.perTruncatedBit;
  return products + weightTruncations + outputBits;
}

/** What a tile (or the direct convolution) costs under the target, in the unit its model has. */
function tileCost(conv: WinogradConv, batch: number, target: Target, tile?: [number, number]): number {
  return homomorphicConvolutionSeconds(conv, batch, target, tile) ?? (tile ? winogradCost(conv, batch, tile, target) : directCost(conv, batch));
}

/** The output tile [mh, mw] for this convolution, or undefined for the direct convolution. */
export function winogradTile(conv: WinogradConv, batch: number, target: Target): [number, number] | undefined {
  if (!target.optimizations.winograd || conv.direct || conv.strides[0] !== 1 || conv.strides[1] !== 1) return undefined;
  const [kh, kw] = conv.kernel;
  // the truncation of the outputs works on k + f + e bits (e the weights' extra bits)
  const fits = (tile: [number, number]) => target.k + target.f + extraBits(conv.kernel, tile, target) < target.ringBits;
  if (PROTOCOLS[target.protocol].dotProduct === 'per-result') return kh === 3 && kw === 3 && fits([2, 2]) ? [2, 2] : undefined;
  const roomForInexact = extraBitsRoom(target) >= MIN_EXTRA_BITS;
  const sizes = (r: number) => (r === 1 ? [1] : Array.from({ length: Math.max(0, MAX_POINTS - r) }, (_, i) => i + 2));
  let best: { tile?: [number, number]; cost: number } = { cost: tileCost(conv, batch, target) };
  for (const mh of sizes(kh)) {
    for (const mw of sizes(kw)) {
      if (mh === 1 && mw === 1) continue;
      if (!roomForInexact && !(exactTransform(mh, kh) && exactTransform(mw, kw))) continue;
      if (!fits([mh, mw])) continue;
      const cost = tileCost(conv, batch, target, [mh, mw]);
      // ties: the direct convolution, then the smaller tile (fewer points, less rounding)
      if (cost < best.cost) best = { tile: [mh, mw], cost };
    }
  }
  return best.tile;
}
