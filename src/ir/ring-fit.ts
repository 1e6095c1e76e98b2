// What a fixed-point precision (f fractional bits of k) needs of MP-SPDZ's ring of 2^ringBits.
// The checker reports what does not fit; the emitter and the simulator choose the same division.
import type { Pipeline } from './pipeline.js';

/**
 * sfix's product truncates a (k + f)-bit value, and MP-SPDZ's one-round probabilistic
 * truncation needs it below the ring's top bit (program.bit_length = ring - 1): k + f < ring.
 */
export function productBits(t: { f: number; k: number }): number {
  return t.k + t.f;
}

/**
 * The k a comparison of values in (-B, B) needs, as sfix's k: |x * 2^f| < 2^(f + ceil(log2 B)),
 * plus the sign bit. sfix's own comparison then works on k + 1 bits, as it does on k.
 */
export function boundBits(value: number, f: number): number {
  return Math.max(2, f + 1 + Math.ceil(Math.log2(value)));
}

/** The largest |value| precision f k holds. */
export const precisionLimit = (t: { f: number; k: number }) => 2 ** (t.k - t.f - 1);

/** ceil(log2 n) for n >= 1, on integers (no rounding of Math.log2 at powers of two). */
export function ceilLog2(n: number): number {
  return n <= 1 ? 0 : (n - 1).toString(2).length;
}

/**
 * The bits that hold a frame's sum in the per-frame softmax, as an integer with f fractional
 * bits. ReLU-normalised: C values each below 2^(k-1) (any logit sfix(f, k) holds) sum to below
 * 2^(k - 1 + ceil(log2 C)), beyond sfix's k as soon as C > 1: the sum is an sint of the ring,
 * never an sfix. Exact: MP-SPDZ's shift makes the largest exponential 2^(k-1) / C, so the sum is
 * at most 2^(k-1) up to the exponential's error: k + 1 bits.
 */
export function softmaxSumBits(t: { k: number; classes: number; exactSoftmax?: boolean }): number {
  return t.exactSoftmax ? t.k + 1 : Math.max(1, t.k - 1 + ceilLog2(t.classes));
}

/** The per-frame softmax's division (_ppvc_normalised_quotients in the generated program). */
/**
 * Goldschmidt's first approximation of 1/z for z in [1/2, 1) is w = GOLDSCHMIDT_SEED - 2z,
 * within 2^-GOLDSCHMIDT_SEED_ERROR_BITS of it; each iteration doubles the correct bits. The
 * program's _ppvc_normalised_quotients (src/emit/runtime/softmax_division.py) holds the same
 * number, the simulation (src/simulate/fixed-point.ts) uses this one; the tests check both
 * the agreement and the bound.
 */
export const GOLDSCHMIDT_SEED = 2.9142;
export const GOLDSCHMIDT_SEED_ERROR_BITS = 3.5;

export interface NormalisedDivision {
  /** The bits of the sum (softmaxSumBits). */
  sumBits: number;
  /** Fractional bits of the normalised values and of the Goldschmidt iteration. */
  bits: number;
  iterations: number;
}

/**
 * The softmax's division at every ring: the sum t of the frame's values is held in sumBits
 * (no overflow whatever C), Norm scales it by a power of two v into [2^(sumBits-1), 2^sumBits),
 * t v and each x_j v are cut to `bits` fractional bits (z in [1/2, 1), y_j in [0, z]), and
 * Goldschmidt's iteration on y_j w with w = GOLDSCHMIDT_SEED - 2z (within 2^-3.5 of 1/z) gives the
 * quotients. Every product stays below 2^(2 bits + 2), inside the ring for
 * bits <= (ring - 3) / 2; bits = f + 4 where that fits (more only costs iterations: a
 * probability needs f bits, the 4 absorb the iteration's truncations).
 * sfix's own division (FPDiv) would need the sum within k bits (and 2k ring bits).
 */
export function normalisedDivision(t: { f: number; k: number; ringBits: number; classes: number; exactSoftmax?: boolean }): NormalisedDivision {
  const bits = Math.min(Math.floor((t.ringBits - 3) / 2), t.f + 4);
  return { sumBits: softmaxSumBits(t), bits, iterations: Math.max(1, Math.ceil(Math.log2(bits / GOLDSCHMIDT_SEED_ERROR_BITS))) };
}

/** A precision and ring, whether the pipeline runs MP-SPDZ's softmax (2k bits), and its classes. */
export interface RingFitTarget {
  f: number;
  k: number;
  ringBits: number;
  exactSoftmax?: boolean;
  /** The per-frame softmax's sum needs softmaxSumBits + 1 < ring (its truncation): none for logits. */
  classes?: number;
}

/** Whether the ring holds the precision's products, the exact softmax's 2k bits and the softmax's sum. */
export function fitsRing(t: RingFitTarget): boolean {
  const sumFits = t.classes === undefined || softmaxSumBits({ ...t, classes: t.classes }) + 1 < t.ringBits;
  return productBits(t) < t.ringBits && (!t.exactSoftmax || 2 * t.k <= t.ringBits) && sumFits;
}

/** A pipeline's precision and ring, whether it runs MP-SPDZ's softmax, and its classes where a softmax sums them. */
export function ringFitOf(p: Pipeline): RingFitTarget {
  const softmax = p.frameOutput !== 'logits';
  return { f: p.target.f, k: p.target.k, ringBits: p.target.ringBits, exactSoftmax: p.frameOutput === 'softmax', ...(softmax ? { classes: p.classes } : {}) };
}

/** The division of a pipeline's per-frame softmax (undefined for logits). */
export function divisionOf(p: Pipeline): NormalisedDivision | undefined {
  if (p.frameOutput === 'logits') return undefined;
  return normalisedDivision({ ...p.target, classes: p.classes, exactSoftmax: p.frameOutput === 'softmax' });
}
