// What a fixed-point precision (f fractional bits of k) needs of MP-SPDZ's ring of 2^ringBits.
// The checker reports what does not fit; the emitter and the simulator choose the same division.

/** sfix's product truncates a (k + f)-bit value: the ring must hold it. */
export function productBits(t: { f: number; k: number }): number {
  return t.k + t.f;
}

/**
 * The (k, f) of the softmax's division when sfix's own does not fit: MP-SPDZ's FPDiv works on
 * 2k bits, so in a ring of fewer the sums are normalised first (Norm: a power of two times
 * each sum lies in [2^(k-1), 2^k)) and the division runs at the largest k whose AppRcr fits,
 * 2k + 1 <= ringBits, with f = k - 1. Undefined when 2k fits (sfix's division).
 */
export function normalisedDivision(t: { k: number; ringBits: number }): { k: number; f: number } | undefined {
  if (2 * t.k <= t.ringBits) return undefined;
  const k = Math.floor((t.ringBits - 1) / 2);
  return { k, f: k - 1 };
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
  return productBits(t) <= t.ringBits && (!t.exactSoftmax || 2 * t.k <= t.ringBits);
}
