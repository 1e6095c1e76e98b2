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
 * The softmax's division where sfix's own does not fit (MP-SPDZ's FPDiv works on 2k bits, and
 * more): Norm scales each frame's sum by a power of two into [2^(k-1), 2^k); the sum and the
 * values cut to `bits` fractional bits lie in [1/2, 1]; the reciprocal of the sum starts from
 * 2.9142 - 2z (within 2^-3.5) and `iterations` Newton steps w(2 - zw) double its bits. Every
 * product stays below 2^(2 bits + 2), so bits = (ring - 3) / 2 keeps one bit spare.
 * Undefined when 2k fits (sfix's division).
 */
export function normalisedDivision(t: { k: number; ringBits: number }): { bits: number; iterations: number } | undefined {
  if (2 * t.k <= t.ringBits) return undefined;
  const bits = Math.floor((t.ringBits - 3) / 2);
  return { bits, iterations: Math.ceil(Math.log2(bits / 3.5)) };
}

/** A precision and ring, and whether the pipeline runs MP-SPDZ's softmax (2k bits). */
export interface RingFitTarget {
  f: number;
  k: number;
  ringBits: number;
  exactSoftmax?: boolean;
}

/** Whether the ring holds the precision's products (and the exact softmax's 2k bits). */
export function fitsRing(t: RingFitTarget): boolean {
  return productBits(t) < t.ringBits && (!t.exactSoftmax || 2 * t.k <= t.ringBits);
}

/** A pipeline's precision and ring, and whether it runs MP-SPDZ's softmax. */
export function ringFitOf(p: Pipeline): RingFitTarget {
  return { f: p.target.f, k: p.target.k, ringBits: p.target.ringBits, exactSoftmax: p.frameOutput === 'softmax' };
}
