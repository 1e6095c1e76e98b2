// Winograd tiles: which F(mh x mw, kh x kw) a stride-1 convolution uses, chosen from what a
// secret product costs under the protocol. The transforms are built here exactly as ml.py's
// PpvcWinogradConv2d builds them (from the points 0, 1, -1, 2, -2 and infinity; at most 6 per
// axis: more would need points like 1/2, whose larger denominators the ring must carry); this
// side uses them to price a tile, and its tests check them.
//
// Every tile is exact: the weights go through S G, S = 2^e q the denominators of G (q odd: 1,
// 3 or 9 here), the outputs come out S times the direct sums, the helper divides by q exactly
// (its inverse modulo the shares' modulus) and the layer's one truncation drops e more bits.
// So a tile's price is its secret products plus those e bits, and the results are the direct
// convolution's (identical under nearest rounding).
//
//  - Dot products cost one value per result (replicated sharing): Winograd's gain is local
//    arithmetic, its price more results. Only F(2x2, 3x3), as measured (README,
//    "Optimisations").
//  - Dot products cost a triple per term (semi2k, spdz2k, lowgear): per layer, the tile with
//    the cheapest preprocessing: its secret products, plus the extra fractional bits every
//    output carries into the layer's truncation (priced by the protocol's truncationBitCost:
//    nearly free under semi2k, about a product per bit under spdz2k).
//  - Products are matrix products by homomorphic matrix triples (`matrix-products` under hemi
//    and temi): per layer, the tile or the direct convolution that the time model of
//    passes/matrix-blocks.ts finds fastest, with each tile's extra output bits. A batch of
//    matrix triples costs its ciphertexts as well as its products, so a layer with few input
//    channels (the paper's first, with one) is faster direct: its Winograd products have an
//    inner dimension of 1.
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

const denominators = new Map<string, number>();

/** G's least common denominator on one axis (the points' differences: 2, 6 or 24 here);
 * computed once per F(m, r), as every tile choice asks for it. */
export function denominator(m: number, r: number): number {
  const key = `${m},${r}`;
  if (!denominators.has(key)) denominators.set(key, winogradTransforms(m, r).g.flat().reduce((acc, x) => lcm(acc, x.d), 1));
  return denominators.get(key)!;
}

/** The extra fractional bits e the outputs carry: the power of two in the two axes'
 * denominators (their odd part the helper divides out exactly). */
export function extraBits(kernel: [number, number], tile: [number, number]): number {
  const scale = denominator(tile[0], kernel[0]) * denominator(tile[1], kernel[1]);
  return Math.log2(scale & -scale);
}

/** Preprocessing of a tile choice in secret products, for `batch` frames. */
export function winogradCost(conv: WinogradConv, batch: number, tile: [number, number], target: Target): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  const c = conv.inShape[2]!;
  const [mh, mw] = tile;
  const [ah, aw] = [mh + conv.kernel[0] - 1, mw + conv.kernel[1] - 1];
  const bitCost = PROTOCOLS[target.protocol].truncationBitCost;
  const products = batch * Math.ceil(oh / mh) * Math.ceil(ow / mw) * ah * aw * c * k;
  const outputBits = batch * oh * ow * k * extraBits(conv.kernel, tile) * bitCost;
  return products + outputBits;
}

export function directCost(conv: WinogradConv, batch: number): number {
  const [oh, ow, k] = conv.outShape as [number, number, number];
  return batch * oh * ow * conv.kernel[0] * conv.kernel[1] * conv.inShape[2]! * k;
}

/**
 * Seconds a tile (or, without one, the direct convolution) is modelled to take under
 * homomorphic matrix triples: its matrix products and the extra bits of the outputs'
 * truncation; undefined where the target has no such model.
 */
export function homomorphicConvolutionSeconds(conv: WinogradConv, batch: number, target: Target, tile?: [number, number]): number | undefined {
  const { shape, count } = convolutionProducts(conv, batch, tile);
  const products = homomorphicProductSeconds(target, shape, count);
  if (products === undefined || !tile) return products;
  const [oh, ow, k] = conv.outShape as [number, number, number];
  const outputBits = batch * oh * ow * k * extraBits(conv.kernel, tile) * HEMI_SECONDS.perTruncatedBit;
  return products + outputBits;
}

/** What a tile (or the direct convolution) costs under the target, in the unit its model has. */
function tileCost(conv: WinogradConv, batch: number, target: Target, tile?: [number, number]): number {
  return homomorphicConvolutionSeconds(conv, batch, target, tile) ?? (tile ? winogradCost(conv, batch, tile, target) : directCost(conv, batch));
}

/** The output tile [mh, mw] for this convolution, or undefined for the direct convolution. */
export function winogradTile(conv: WinogradConv, batch: number, target: Target): [number, number] | undefined {
  if (!target.optimizations.winograd || conv.direct || conv.strides[0] !== 1 || conv.strides[1] !== 1) return undefined;
  const [kh, kw] = conv.kernel;
  // the truncation of the outputs works on k + f + e bits (2^e: the power of two in G's denominators)
  const fits = (tile: [number, number]) => target.k + target.f + extraBits(conv.kernel, tile) < target.ringBits;
  if (PROTOCOLS[target.protocol].dotProduct === 'per-result') return kh === 3 && kw === 3 && fits([2, 2]) ? [2, 2] : undefined;
  const sizes = (r: number) => (r === 1 ? [1] : Array.from({ length: Math.max(0, MAX_POINTS - r) }, (_, i) => i + 2));
  let best: { tile?: [number, number]; cost: number } = { cost: tileCost(conv, batch, target) };
  for (const mh of sizes(kh)) {
    for (const mw of sizes(kw)) {
      if (mh === 1 && mw === 1) continue;
      if (!fits([mh, mw])) continue;
      const cost = tileCost(conv, batch, target, [mh, mw]);
      // ties: the direct convolution, then the smaller tile (fewer points, smaller constants)
      if (cost < best.cost) best = { tile: [mh, mw], cost };
    }
  }
  return best.tile;
}
