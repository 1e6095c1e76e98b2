// How much of the signal the fixed-point values keep, layer by layer: each layer of the
// fixed-point emulation against the same layer computed in float64 from the same inputs. A
// range analysis catches values that grow too large; this catches values that shrink until a
// few units of 2^-f are all that is left of them (deep networks whose activations vanish), where
// the labels differ for no visible reason.
import type { Pipeline } from '../ir/pipeline.js';
import { fitsRing, ringFitOf } from '../ir/ring-fit.js';

/** Fewer significant bits than this and a layer's fixed-point values are mostly rounding noise: the signal is lost. */
export const LOST_BITS = 4;
/** What a suggested precision aims at in every layer. */
export const TARGET_BITS = 8;
/** A fixed-point value within this many units of 2^-f (and not 0) has collapsed. */
export const FEW_UNITS = 4;

export interface SignalRow {
  /** IR layer name, or `input` for the selected frames. */
  name: string;
  op: string;
  /** Root mean square of the float values. */
  rms: number;
  /** rms(fixed - float) / rms(float); undefined where every float value is 0. */
  relativeError?: number;
  /** Significant bits kept: -log2(relativeError), at most 52. */
  bits?: number;
  /** log2(rms(float) 2^f): how far above one unit of 2^-f the typical value lies (below 0: under one unit). */
  scaleBits?: number;
  /** The share of the nonzero fixed-point values within FEW_UNITS units of 2^-f. */
  collapsed: number;
}

export interface SignalReport {
  layers: SignalRow[];
  /** The fewest bits any layer keeps. */
  worstBits: number;
  /** The first layer that keeps fewer than LOST_BITS. */
  lost?: { layer: string; bits: number };
  /** Fractional bits to add for TARGET_BITS in every layer (0 where every layer has them). */
  extraBits: number;
}

/** A precision that keeps the signal, as a target statement's options. */
export interface SignalPrecision {
  f: number;
  k: number;
  ringBits: number;
  statement: string;
  reason: string;
  /** What re-simulating with it showed (simulate.ts). */
  check?: SignalCheck;
}

/** A suggested precision re-simulated on the same inputs: whether every layer then keeps the signal. */
export interface SignalCheck {
  /** False where the emulation cannot run it (k beyond MAX_EMULATED_K): `note` says why. */
  simulated: boolean;
  kept?: boolean;
  /** The fewest significant bits any layer keeps with it. */
  worstBits?: number;
  label?: number;
  /** Against the float reference's label (absent with fixedOnly). */
  labelsAgree?: boolean;
  /** Simulations it took (a suggestion that still loses the signal is raised by what it lacks). */
  attempts: number;
  note?: string;
}


/** Compares one layer's fixed-point integers (f fractional bits) with its float64 values. */
export function signalRow(name: string, op: string, fixed: ArrayLike<number>, float: ArrayLike<number>, f: number): SignalRow {
  const one = 2 ** f;
  let signal = 0;
  let noise = 0;
  let nonzero = 0;
  let few = 0;
  for (let i = 0; i < float.length; i++) {
    const x = float[i]!;
    const q = fixed[i]!;
    signal += x * x;
    const d = q / one - x;
    noise += d * d;
    if (q !== 0) {
      nonzero++;
      if (Math.abs(q) <= FEW_UNITS) few++;
    }
  }
  const collapsed = nonzero ? few / nonzero : 0;
  const rms = Math.sqrt(signal / Math.max(1, float.length));
  if (signal === 0) return { name, op, rms, collapsed };
  const relativeError = Math.sqrt(noise / signal);
  const bits = relativeError === 0 ? 52 : Math.min(52, Math.max(0, -Math.log2(relativeError)));
  return { name, op, rms, relativeError, bits, scaleBits: Math.log2(rms * one), collapsed };
}

/** Every computing layer (and the frames), fixed against float; the first one that loses the signal; the bits to add. */
export function signalAnalysis(p: Pipeline, fixed: Map<string, { data: Float64Array }>, float: Map<string, { data: Float64Array }>, f: number): SignalReport {
  const named = [{ name: 'input', op: 'input' }, ...p.model.layers.filter((l) => l.op !== 'flatten' && l.op !== 'reshape' && l.op !== 'dropout')];
  const layers = named.map((l) => signalRow(l.name, l.op, fixed.get(l.name)!.data, float.get(l.name)!.data, f));
  const measured = layers.filter((l) => l.bits !== undefined);
  const worstBits = Math.min(52, ...measured.map((l) => l.bits!));
  const first = measured.find((l) => l.bits! < LOST_BITS);
  // each fractional bit halves every truncation's error; a layer under one unit of 2^-f needs
  // the bits to reach it first
  const need = (l: SignalRow) => Math.max(TARGET_BITS - l.bits!, TARGET_BITS - l.scaleBits!);
  const extraBits = Math.max(0, ...measured.map((l) => Math.ceil(need(l))));
  return { layers, worstBits, ...(first ? { lost: { layer: first.name, bits: first.bits! } } : {}), extraBits };
}

/**
 * f + extraBits fractional bits, with the integer bits of the pipeline's k, or fewer where every
 * sfix value's proven bound (any video in the declared range) leaves them unused, in the
 * pipeline's ring if it holds them (ring-fit.ts), else the next one MP-SPDZ builds (64, 128).
 */
export function signalPrecision(p: Pipeline, extraBits: number, proven: (number | undefined)[]): SignalPrecision {
  const { f, k, ringBits } = p.target;
  const f2 = f + extraBits;
  let intBits = k - f - 1;
  let why = `the pipeline's ${intBits} integer bits`;
  if (proven.length > 0 && proven.every((b) => b !== undefined)) {
    // comparisons work on differences: every bound below half the limit
    const need = Math.max(1, Math.ceil(Math.log2(Math.max(...(proven as number[])))) + 1);
    if (need < intBits) [intBits, why] = [need, `${need} integer bits, what the proven bounds need`];
  }
  const k2 = f2 + 1 + intBits;
  let ring = ringBits;
  while (!fitsRing({ ...ringFitOf(p), f: f2, k: k2, ringBits: ring })) ring = ring < 64 ? 64 : ring * 2;
  const statement = `${ring !== ringBits ? `ring ${ring}  ` : ''}precision ${f2} ${k2}`;
  const ringWhy = ring !== ringBits ? `; k + f = ${k2 + f2} needs a ${ring}-bit ring (party programs built for it)` : '';
  return { f: f2, k: k2, ringBits: ring, statement, reason: `${extraBits} more fractional bits, ${why}${ringWhy}` };
}
