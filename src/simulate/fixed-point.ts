// A fixed-point emulation of the generated MP-SPDZ program (src/emit/mpc-program.ts with the
// helpers of src/emit/runtime/helpers.ts), layer by layer over the pipeline IR, in the clear.
//
// What it reproduces of MP-SPDZ 0.4.2's sfix arithmetic (f fractional bits, k bits in all):
//  - inputs: FixInput reads a double and stores round(x * 2^f) (C round: halves away from 0);
//    the selection matrix is sint, and selection.dot(video) is an exact integer product;
//  - every secret product is computed exactly on the integer representations and truncated
//    ONCE by f bits with sint.round(.., nearest=sfix.round_nearest=False), which is MP-SPDZ's
//    probabilistic truncation floor(x / 2^f) + Bernoulli((x mod 2^f) / 2^f) under both
//    `trunc probabilistic` (the trunc_pr instruction) and `trunc exact` (TruncPrRing, CdH10
//    Protocol 3.1): `program.use_trunc_pr` only picks the protocol. Here the coin flips come from
//    a seeded generator, so a run is reproducible; 'nearest' (round half up, what
//    sfix.round_nearest = True would do) and 'floor' are available for analysis;
//  - conv2d (PpvcConv2d): trunc(sum x*w + (b << f)), MP-SPDZ's SAME padding formula (which
//    tests the width stride for both axes); depthwise (PpvcDepthwiseConv2d): the same with
//    Keras' padding; dense (ml.Dense): trunc(x . W) + b; batchnorm: trunc(x * scale) + shift;
//  - avgpool: the exact window sum times cfix(1/count) = python round(2^f / count), truncated;
//    maxpool, ReLU (and ReLU with a maximum), add, concat, zero padding and crops are exact;
//  - the ReLU-normalised softmax: relu, the sum as an integer of k - 1 + ceil(log2 C) bits, and
//    ml.py's division on normalised values (Norm, Goldschmidt's iteration with its own
//    truncations, emulated operation for operation on BigInt: normalisedQuotients), 1/C (python
//    round) where the sum is 0;
//  - sum / vote aggregation on the integers and argmax with ties to the lowest class.
// MP-SPDZ's exact softmax is emulated in its shift, its masking and the same division, but its
// exponentials (AS19's polynomial) are only approximated: exp of the fixed-point difference,
// rounded to 2^-f.
//
// Error bound against a secure run: every truncation here and there lands on one of the same
// two neighbouring multiples of 2^-m, so a single operation differs by at most one unit (2^-f
// for the layers); only the coin flips differ, and these differences propagate through the
// later layers like any rounding noise. The division is the same algorithm, not an exact
// quotient: within 2^-f + 2^-(bits-3) of it (test/ring-fit.test.ts). Measured (with sfix's
// FPDiv, the division at 64 bits before the normalised one) on
// the seed video (examples/emotion.ppvc) and four videos with the Human emotion model, the
// emulated sums were within 1.7e-4 of the secure runs' (scripts/verify-simulate-mpc.mjs).
//
// The integer arithmetic is exact: values are kept as integers in float64 (exact below 2^53);
// a dot product whose worst case (max|x| * max|w| * fan-in, from the actual values) could reach
// 2^53 is computed on limbs of x and w (each partial sum provably below 2^53) and recombined with
// BigInt. Values that leave the sfix range (the range analysis reports them) are not wrapped
// modulo the ring: the secure program's result is undefined there anyway.
import type { Layer, Pipeline } from '../ir/pipeline.js';
import { INPUT, product, selectedFrames } from '../ir/pipeline.js';
import { concatChannels, convGeometry, convRaw, copyWindow, denseRaw, depthwiseRaw, maxAbs, poolWindows, windowSpan } from './kernels.js';
import { provenBounds } from './interval-bounds.js';
import { type InputPlan, tensorsOf } from '../passes/plan-inputs.js';
import { seededUint32 } from '../inputs/random-inputs.js';
import { UserError } from '../diagnostics.js';
import { kerasPadding, mpSpdzConvPadding } from '../ir/shapes.js';
import { GOLDSCHMIDT_SEED, divisionOf, fitsRing, ringFitOf, type NormalisedDivision, type RingFitTarget } from '../ir/ring-fit.js';
import { signalAnalysis, signalPrecision, type SignalPrecision, type SignalReport } from './signal.js';

/** How a truncation by m bits rounds. */
export type Rounding = 'probabilistic' | 'nearest' | 'floor';

export interface FixedOptions {
  /** Seed of the probabilistic truncation's coin flips (default 1). */
  seed?: number;
  /** Default 'probabilistic' (what MP-SPDZ does for both `trunc` settings). */
  rounding?: Rounding;
  /** Default true: every layer again in float64, for the signal analysis (signal.ts); about doubles the time. */
  signal?: boolean;
}

export interface LayerRange {
  /** IR layer name, `input` for the selected frames, or a stage of the per-frame output. */
  name: string;
  op: string;
  /** The largest absolute value any sfix the layer produces reaches (pre-activation included). */
  maxAbs: number;
  /** The largest magnitude sfix(f, k) holds: 2^(k - f - 1); for an integer of `bits` bits, 2^(bits - f). */
  limit: number;
  /** Where the value is not an sfix but an integer of its own width (the softmax's sum): its bits. It does not constrain k. */
  bits?: number;
  /** maxAbs / limit: 1 or more is an overflow, 1/4 or more is within a factor of 4 of it. */
  ratio: number;
  warning?: string;
  /** The largest |value| any video in the declared range can give here (interval-bounds.ts); absent where nothing bounds it. */
  proven?: number;
}

/** A smaller k than the pipeline's that still holds every measured value with the headroom factor: cheaper comparisons. */
export interface NarrowerPrecision {
  k: number;
  statement: string;
  /** Whether the proven bounds also fit k (every video in range, not only the one simulated). */
  proven: boolean;
  reason: string;
}

export interface PrecisionSuggestion {
  f: number;
  k: number;
  ringBits: number;
  /** The options of the target statement that set it, e.g. `precision 16 34`. */
  statement: string;
  reason: string;
}

export interface FixedResult {
  /** Indices of the selected frames. */
  frames: number[];
  /** Per selected frame, the CNN's outputs (as reals). */
  logits: number[][];
  /** Per selected frame, the per-class output after the per-frame softmax / logits. */
  perFrame: number[][];
  aggregate: number[];
  label: number;
  layers: LayerRange[];
  suggestion?: PrecisionSuggestion;
  narrower?: NarrowerPrecision;
  /** What each layer keeps of the float64 signal, and where it is lost a precision that keeps it (unless `signal: false`). */
  signal?: SignalReport & { suggestion?: SignalPrecision };
  precision: { f: number; k: number; ringBits: number; rounding: Rounding; seed: number };
}

/** The largest k the emulation supports: integer representations must stay exact in float64. */
export const MAX_EMULATED_K = 52;

const TWO53 = 2 ** 53;

// ---------------------------------------------------------------------------------------------
// rounding

/** C's round(): halves away from zero (MP-SPDZ's FixInput). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Python 3's round(): halves to even (cfix / sfix constants in the compiled program). */
export function roundHalfEven(x: number): number {
  const fl = Math.floor(x);
  const d = x - fl;
  if (d > 0.5) return fl + 1;
  if (d < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** The integer representation of an sfix input: round(v * 2^f), halves away from zero. */
export function toFixed(v: number, f: number): number {
  return roundHalfAway(v * 2 ** f);
}


/** Truncation by m bits with one rounding mode and (for 'probabilistic') a seeded coin. */
export class Truncator {
  readonly rounding: Rounding;
  private readonly next: () => number;

  constructor(rounding: Rounding, seed: number) {
    this.rounding = rounding;
    this.next = seededUint32(seed);
  }

  /** A uniform integer in [0, 2^m), m <= 53, as a number. */
  randomBits(m: number): number {
    if (m <= 32) return m === 0 ? 0 : this.next() >>> (32 - m);
    const hi = this.next() >>> (64 - m);
    return hi * 4294967296 + this.next();
  }

  /** A uniform BigInt in [0, 2^m). */
  randomBig(m: number): bigint {
    let r = 0n;
    let bits = 0;
    while (bits < m) {
      const take = Math.min(32, m - bits);
      r = (r << BigInt(take)) | BigInt(this.next() >>> (32 - take));
      bits += take;
    }
    return r;
  }

  /** round(x / 2^m) for an exact integer |x| < 2^53 held in a float64. */
  trunc(x: number, m: number): number {
    const scale = 2 ** m;
    const q = Math.floor(x / scale);
    const r = x - q * scale;
    switch (this.rounding) {
      case 'floor':
        return q;
      case 'nearest':
        return r * 2 >= scale ? q + 1 : q;
      case 'probabilistic':
        return this.randomBits(m) < r ? q + 1 : q;
    }
  }

  truncBig(x: bigint, m: number, nearest = false): bigint {
    const mb = BigInt(m);
    if (nearest || this.rounding === 'nearest') return m === 0 ? x : (x + (1n << (mb - 1n))) >> mb;
    const q = x >> mb;
    if (this.rounding === 'floor') return q;
    const r = x - (q << mb);
    return this.randomBig(m) < r ? q + 1n : q;
  }

  /** In place: a[i] = round((a[i] + add[channel]) / 2^m), the channel being i mod add.length. */
  truncArray(a: Float64Array, m: number, add?: Float64Array): void {
    const scale = 2 ** m;
    const inv = 2 ** -m;
    const C = add?.length ?? 1;
    const mode = this.rounding;
    for (let i = 0; i < a.length; i++) {
      const x = add ? a[i]! + add[i % C]! : a[i]!;
      const q = Math.floor(x * inv);
      const r = x - q * scale;
      if (mode === 'floor') a[i] = q;
      else if (mode === 'nearest') a[i] = r * 2 >= scale ? q + 1 : q;
      else a[i] = this.randomBits(m) < r ? q + 1 : q;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// exact dot products on limbs

/** Splits integers (|v| < 2^53) into L limbs of t bits: v = sum_j limb_j * 2^(t j); limbs below the top one are in [0, 2^t). */
function limbsOf(a: Float64Array, t: number, L: number): Float64Array[] {
  if (L === 1) return [a];
  const out = Array.from({ length: L }, () => new Float64Array(a.length));
  const scale = 2 ** t;
  for (let i = 0; i < a.length; i++) {
    let rem = a[i]!;
    for (let j = 0; j < L - 1; j++) {
      const q = Math.floor(rem / scale);
      out[j]![i] = rem - q * scale;
      rem = q;
    }
    out[L - 1]![i] = rem;
  }
  return out;
}

const bitLength = (v: number) => (v < 1 ? 0 : Math.floor(Math.log2(v)) + 1);

interface LimbPlan {
  tx: number;
  lx: number;
  sw: number;
  lw: number;
}

/**
 * How to split x and w so that every partial dot product stays below 2^53: each limb is at most
 * 2^t in magnitude, so fanIn * 2^tx * 2^sw < 2^53.
 */
function planLimbs(maxX: number, maxW: number, fanIn: number, extra: number): LimbPlan {
  if (maxX * maxW * fanIn + extra < TWO53 / 2) return { tx: 53, lx: 1, sw: 53, lw: 1 };
  const budget = 52 - Math.ceil(Math.log2(Math.max(2, fanIn))) - 1;
  const bitsX = Math.max(1, bitLength(maxX));
  const bitsW = Math.max(1, bitLength(maxW));
  let best: LimbPlan | undefined;
  for (let lx = 1; lx <= 8; lx++) {
    const tx = Math.ceil(bitsX / lx);
    const sw = budget - tx;
    if (sw < 1) continue;
    const lw = Math.ceil(bitsW / sw);
    if (!best || lx * lw < best.lx * best.lw) best = { tx, lx, sw, lw };
  }
  if (!best) throw new UserError(`fixed-point emulation: a dot product over ${fanIn} values cannot be computed exactly (fan-in too large)`);
  return best;
}

/**
 * An exact linear layer: acc = raw(x, w) on integers, then out = round((acc + addShift[c]) / 2^f)
 * (+ addAfter[c]), in float64 when provably exact, else on limbs recombined with BigInt.
 */
function exactLinear(
  x: Float64Array,
  w: Float64Array,
  fanIn: number,
  outSize: number,
  channels: number,
  raw: (x: Float64Array, w: Float64Array, acc: Float64Array) => void,
  fx: Truncator,
  f: number,
  opts: { addShift?: Float64Array; addAfter?: Float64Array } = {},
): { out: Float64Array; preMax: number } {
  const shift = opts.addShift ? maxAbs(opts.addShift) : 0;
  const plan = planLimbs(maxAbs(x), maxAbs(w), fanIn, shift);
  let out: Float64Array;
  if (plan.lx === 1 && plan.lw === 1) {
    out = new Float64Array(outSize);
    raw(x, w, out);
    fx.truncArray(out, f, opts.addShift);
  } else {
    const xs = limbsOf(x, plan.tx, plan.lx);
    const ws = limbsOf(w, plan.sw, plan.lw);
    const parts: { acc: Float64Array; shift: bigint }[] = [];
    xs.forEach((xl, j) =>
      ws.forEach((wl, l) => {
        const acc = new Float64Array(outSize);
        raw(xl, wl, acc);
        parts.push({ acc, shift: BigInt(plan.tx * j + plan.sw * l) });
      }),
    );
    out = new Float64Array(outSize);
    const add = opts.addShift;
    for (let i = 0; i < outSize; i++) {
      let t = add ? BigInt(add[i % channels]!) : 0n;
      for (const p of parts) t += BigInt(p.acc[i]!) << p.shift;
      out[i] = Number(fx.truncBig(t, f));
    }
  }
  let preMax = maxAbs(out);
  if (opts.addAfter) {
    const b = opts.addAfter;
    for (let i = 0; i < outSize; i++) out[i] += b[i % channels]!;
    preMax = Math.max(preMax, maxAbs(out));
  }
  return { out, preMax };
}

/** round((a * b) / 2^f) element-wise, exact (BigInt where a * b could reach 2^53). */
function mulTrunc(a: Float64Array, b: (i: number) => number, maxB: number, fx: Truncator, f: number): Float64Array {
  const out = new Float64Array(a.length);
  if (maxAbs(a) * maxB < TWO53) {
    for (let i = 0; i < a.length; i++) out[i] = a[i]! * b(i);
    fx.truncArray(out, f);
  } else {
    for (let i = 0; i < a.length; i++) out[i] = Number(fx.truncBig(BigInt(a[i]!) * BigInt(b(i)), f));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the per-frame softmax's division (ml.py's _ppvc_normalised_quotients), on BigInt

/**
 * r_j / sum_j r_j as the program computes it, for integer representations r_j >= 0 with f
 * fractional bits, at every ring: the sum is an integer of `at.sumBits` bits (never an sfix),
 * Norm scales it by the power of two v into [2^(sumBits-1), 2^sumBits), the sum and each r_j
 * times v are cut to `at.bits` fractional bits (z and y_j), w = GOLDSCHMIDT_SEED - 2z, e = 1 - z w, and
 * `at.iterations` Goldschmidt steps y_j <- y_j (1 + e), e <- e^2 give the quotients, the last
 * step truncating to f bits. Where the sum is 0 every quotient is 0 and `positive` is false.
 * The probabilistic truncations draw their coins in a fixed order (reproducible, not the
 * secure run's).
 */
export function normalisedQuotients(
  r: bigint[],
  f: number,
  at: NormalisedDivision,
  fx: Truncator,
  /** Sees each value the program truncates and the bit length its truncation declares. */
  truncated: (value: bigint, bits: number) => void = () => {},
): { quotients: bigint[]; positive: boolean } {
  const { sumBits, bits, iterations } = at;
  const one = 1n << BigInt(bits);
  const product = 2 * bits + 2;
  const trunc = (x: bigint, width: number, m: number) => (truncated(x, width), fx.truncBig(x, m));
  const total = r.reduce((a, b) => a + b, 0n);
  // a sum beyond sumBits needs logits beyond sfix's limit (the range analysis reports them),
  // where the program's result is undefined: like the layers' values, it is not wrapped but
  // held in as many bits as it has
  const width = Math.max(sumBits, total.toString(2).length);
  const v = total === 0n ? 0n : 1n << BigInt(width - total.toString(2).length);
  const cut = width - bits;
  const scale = (x: bigint) => (cut > 0 ? trunc(x * v, width + 1, cut) : (x * v) << BigInt(-cut));
  const z = scale(total);
  let y = r.map(scale);
  const w = BigInt(Math.trunc(GOLDSCHMIDT_SEED * 2 ** bits)) - 2n * z;
  let e = one - trunc(z * w, product, bits);
  y = y.map((x) => trunc(x * w, product, bits));
  for (let i = 0; i < iterations; i++) {
    const last = i === iterations - 1;
    y = y.map((x) => trunc(x * (one + e), product, last ? 2 * bits - f : bits));
    if (!last) e = trunc(e * e, product, bits);
  }
  return { quotients: y, positive: total !== 0n };
}

// ---------------------------------------------------------------------------------------------
// the emulation

/**
 * How the layers compute: the program's fixed point (integer representations with f fractional
 * bits, every product truncated once) or plain float64 (the reference of the signal analysis),
 * on the same kernels in the same layout.
 */
interface Arithmetic {
  /** An input or parameter value as the program reads it (FixInput: round(x 2^f), halves away from 0). */
  input(x: number): number;
  /** A compile-time constant (cfix: python's round(x 2^f)). */
  constant(x: number): number;
  /** A bias times this is added before a convolution's truncation. */
  one: number;
  /** A linear layer (see exactLinear). */
  linear(
    x: Float64Array,
    w: Float64Array,
    fanIn: number,
    outSize: number,
    channels: number,
    raw: (x: Float64Array, w: Float64Array, acc: Float64Array) => void,
    opts?: { addShift?: Float64Array; addAfter?: Float64Array },
  ): { out: Float64Array; preMax: number };
  /** a_i b(i), truncated by f bits in fixed point. */
  scale(a: Float64Array, b: (i: number) => number, maxB: number): Float64Array;
}

function fixedArithmetic(fx: Truncator, f: number): Arithmetic {
  const one = 2 ** f;
  return {
    input: (x) => roundHalfAway(x * one),
    constant: (x) => roundHalfEven(x * one),
    one,
    linear: (x, w, fanIn, outSize, channels, raw, opts) => exactLinear(x, w, fanIn, outSize, channels, raw, fx, f, opts),
    scale: (a, b, maxB) => mulTrunc(a, b, maxB, fx, f),
  };
}

/** float64, no rounding anywhere. */
const FLOAT: Arithmetic = {
  input: (x) => x,
  constant: (x) => x,
  one: 1,
  linear: (x, w, _fanIn, outSize, channels, raw, opts = {}) => {
    const out = new Float64Array(outSize);
    raw(x, w, out);
    const shift = opts.addShift;
    if (shift) for (let i = 0; i < outSize; i++) out[i] += shift[i % channels]!;
    const preMax = maxAbs(out);
    const after = opts.addAfter;
    if (after) for (let i = 0; i < outSize; i++) out[i] += after[i % channels]!;
    return { out, preMax: after ? Math.max(preMax, maxAbs(out)) : preMax };
  },
  scale: (a, b) => Float64Array.from(a, (x, i) => x * b(i)),
};

/** The selected frames, as the program's selection computes them (the video rounded to f bits, or not). */
function selectFrames(p: Pipeline, t: Map<string, ArrayLike<number>>, arith: Arithmetic): { frames: number[]; x0: Float64Array } {
  const v = p.video;
  const n = selectedFrames(p);
  const frameSize = v.height * v.width * v.channels;
  const video = t.get('video')!;
  let frames: number[];
  const x0 = new Float64Array(n * frameSize);
  if (p.selection.kind === 'oblivious') {
    const sel = t.get('selection')!;
    frames = [];
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 0; j < v.frames; j++) {
        const s = sel[r * v.frames + j]!;
        if (s > sel[r * v.frames + best]!) best = j;
        if (s === 0) continue;
        // sint x sfix: an exact integer product, no truncation
        const base = j * frameSize;
        for (let i = 0; i < frameSize; i++) x0[r * frameSize + i] += s * arith.input(video[base + i]!);
      }
      frames.push(best);
    }
  } else {
    frames = p.selection.indices;
    frames.forEach((fr, r) => {
      for (let i = 0; i < frameSize; i++) x0[r * frameSize + i] = arith.input(video[fr * frameSize + i]!);
    });
  }
  return { frames, x0 };
}

// Long: one case per layer op, as the program runs them, sharing the parameter reader and the
// arithmetic; provenBounds (simulate/interval-bounds.ts) follows the same cases.
/** Every layer of the CNN in the given arithmetic: each layer's output and the largest value it produces (pre-activation included). */
function forwardLayers(
  p: Pipeline,
  n: number,
  x0: Float64Array,
  t: Map<string, ArrayLike<number>>,
  arith: Arithmetic,
): { outputs: Map<string, Tensor>; last: Tensor; ranges: { name: string; op: string; maxInt: number }[] } {
  const v = p.video;
  const outputs = new Map<string, Tensor>([[INPUT, { data: x0, shape: [v.height, v.width, v.channels] }]]);
  const ranges: { name: string; op: string; maxInt: number }[] = [];
  const param = (l: Layer, name: string) => {
    const raw = t.get(`${l.name}.${name}`);
    if (!raw) throw new Error(`no parameter tensor ${l.name}.${name}`);
    return Float64Array.from(raw, arith.input);
  };
  let last: Tensor = outputs.get(INPUT)!;
  for (const l of p.model.layers) {
    const ins = l.inputs.map((name) => outputs.get(name)!);
    const x = ins[0]!;
    let y: Float64Array;
    let preMax = 0;
    const outSize = n * product(l.outShape);
    switch (l.op) {
      case 'conv2d': {
        const Cin = l.inShape[2]!;
        const Cout = l.outShape[2]!;
        const g = convGeometry(l, n, mpSpdzConvPadding(l));
        const bias = l.useBias ? scaleBy(param(l, 'bias'), arith.one) : undefined;
        const r = arith.linear(x.data, param(l, 'kernel'), l.kernel[0] * l.kernel[1] * Cin, outSize, Cout, (xx, ww, acc) => convRaw(xx, ww, g, Cout, acc), { addShift: bias });
        y = r.out;
        preMax = r.preMax;
        if (l.activation === 'relu') reluInPlace(y);
        break;
      }
      case 'depthwise_conv2d': {
        const Cout = l.outShape[2]!;
        const g = convGeometry(l, n, kerasPadding(l));
        const bias = l.useBias ? scaleBy(param(l, 'bias'), arith.one) : undefined;
        const r = arith.linear(x.data, param(l, 'depthwise_kernel'), l.kernel[0] * l.kernel[1], outSize, Cout, (xx, ww, acc) => depthwiseRaw(xx, ww, g, l.multiplier, acc), { addShift: bias });
        y = r.out;
        preMax = r.preMax;
        if (l.activation === 'relu') reluInPlace(y);
        break;
      }
      case 'dense': {
        const dIn = product(l.inShape);
        const bias = l.useBias ? param(l, 'bias') : undefined;
        const r = arith.linear(x.data, param(l, 'kernel'), dIn, outSize, l.units, (xx, ww, acc) => denseRaw(xx, ww, n, dIn, l.units, acc), { addAfter: bias });
        y = r.out;
        preMax = r.preMax;
        if (l.activation === 'relu') reluInPlace(y);
        break;
      }
      case 'relu': {
        y = x.data.slice();
        if (l.max === undefined) reluInPlace(y);
        else {
          const m = arith.constant(l.max);
          for (let i = 0; i < y.length; i++) y[i] = y[i]! < m ? (y[i]! > 0 ? y[i]! : 0) : m;
        }
        break;
      }
      case 'avgpool':
      case 'maxpool':
        y = pool(l.op, x.data, n, l.inShape, l.outShape, l.pool, l.strides, kerasPadding({ ...l, kernel: l.pool }), arith);
        break;
      case 'global_avgpool':
      case 'global_maxpool': {
        const [h, w] = l.inShape as [number, number, number];
        y = pool(l.op === 'global_avgpool' ? 'avgpool' : 'maxpool', x.data, n, l.inShape, [1, 1, l.inShape[2]!], [h, w], [h, w], [0, 0], arith);
        break;
      }
      case 'batchnorm': {
        const C = l.inShape[l.inShape.length - 1]!;
        const scale = param(l, 'scale');
        const shift = param(l, 'shift');
        y = arith.scale(x.data, (i) => scale[i % C]!, maxAbs(scale));
        preMax = maxAbs(y);
        for (let i = 0; i < y.length; i++) y[i] += shift[i % C]!;
        break;
      }
      case 'zeropad': {
        const [H, W, C] = l.inShape as [number, number, number];
        const [OH, OW] = l.outShape as [number, number, number];
        const [top, , left] = l.pad;
        y = new Float64Array(outSize);
        copyWindow(x.data, [H, W, C], [0, 0], y, [OH, OW], [top, left], [H, W], n);
        break;
      }
      case 'crop': {
        const [H, W, C] = l.inShape as [number, number, number];
        const [OH, OW] = l.outShape as [number, number, number];
        const [top, , left] = l.crop;
        y = new Float64Array(outSize);
        copyWindow(x.data, [H, W, C], [top, left], y, [OH, OW], [0, 0], [OH, OW], n);
        break;
      }
      case 'add': {
        y = x.data.slice();
        for (const other of ins.slice(1)) for (let i = 0; i < y.length; i++) y[i] += other.data[i]!;
        break;
      }
      case 'concat':
        y = concatChannels(ins.map((part) => ({ data: part.data, channels: part.shape[part.shape.length - 1]! })), outSize, l.outShape[l.outShape.length - 1]!);
        break;
      case 'flatten':
      case 'reshape':
      case 'dropout':
        y = x.data;
        break;
    }
    const out: Tensor = { data: y, shape: l.outShape };
    outputs.set(l.name, out);
    // flatten, reshape and dropout only rename their input's values
    if (l.op !== 'flatten' && l.op !== 'reshape' && l.op !== 'dropout') ranges.push({ name: l.name, op: l.op, maxInt: Math.max(preMax, maxAbs(y)) });
    last = out;
  }

  return { outputs, last, ranges };
}


interface Tensor {
  data: Float64Array;
  /** Per-frame shape. */
  shape: number[];
}

/** Splits each party's values into the plan's named tensors. */
function tensorsByName(plan: InputPlan, values: Map<number, ArrayLike<number>>): Map<string, ArrayLike<number>> {
  const typed = new Map([...values].map(([k, v]) => [k, v instanceof Float32Array || v instanceof Float64Array ? v : Float64Array.from(v)]));
  return tensorsOf(plan, typed);
}

/** Index of the largest value; ties go to the lowest index. */
function argmaxFirst(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function simulateFixed(p: Pipeline, plan: InputPlan, values: Map<number, ArrayLike<number>>, opts: FixedOptions = {}): FixedResult {
  const { f, k, ringBits } = p.target;
  if (k > MAX_EMULATED_K) {
    throw new UserError(`fixed-point emulation supports precision with k <= ${MAX_EMULATED_K}; the pipeline uses precision ${f} ${k}`);
  }
  const rounding = opts.rounding ?? 'probabilistic';
  const seed = opts.seed ?? 1;
  const fx = new Truncator(rounding, seed);
  const one = 2 ** f;
  const limit = 2 ** (k - f - 1);
  const t = tensorsByName(plan, values);
  const n = selectedFrames(p);
  const arith = fixedArithmetic(fx, f);
  const { frames, x0 } = selectFrames(p, t, arith);
  // bits: where the value is an integer of its own width, not an sfix (the softmax's sum)
  const ranges: { name: string; op: string; maxInt: number; bits?: number }[] = [{ name: INPUT, op: 'input', maxInt: maxAbs(x0) }];
  const forward = forwardLayers(p, n, x0, t, arith);
  ranges.push(...forward.ranges);
  const last = forward.last;
  // the same layers in float64 from the same inputs: how much of the signal each layer keeps
  const signal = opts.signal === false ? undefined : signalAnalysis(p, forward.outputs, forwardLayers(p, n, selectFrames(p, t, FLOAT).x0, t, FLOAT).outputs, f);
  forward.outputs.clear();

  // ---- per-frame output ----
  const C = p.classes;
  const logitsInt = last.data;
  const logits = Array.from({ length: n }, (_, i) => Array.from(logitsInt.subarray(i * C, (i + 1) * C), (u) => u / one));
  const perFrameInt: number[][] = [];
  const division = divisionOf(p);
  if (division) {
    // the program's numerators: the ReLU outputs, or MP-SPDZ's exponentials (approximated)
    const numerators = p.frameOutput === 'softmax' ? exponentials : (u: ArrayLike<number>) => Array.from(u, (x) => (x > 0 ? x : 0));
    const uniform = roundHalfEven((1 / C) * one);
    let maxTotal = 0;
    for (let i = 0; i < n; i++) {
      const r = numerators(logitsInt.subarray(i * C, (i + 1) * C), f, k);
      maxTotal = Math.max(maxTotal, r.reduce((a, b) => a + b, 0));
      const { quotients, positive } = normalisedQuotients(r.map(BigInt), f, division, fx);
      // the exact softmax's sum is never 0 (its largest exponential is 2^(k-f-1) / C)
      perFrameInt.push(positive ? quotients.map(Number) : r.map(() => uniform));
    }
    // an integer of sumBits bits, not an sfix: its own limit
    ranges.push({ name: 'softmax sum', op: `sum, ${division.sumBits} bits`, maxInt: maxTotal, bits: division.sumBits });
  } else {
    for (let i = 0; i < n; i++) perFrameInt.push(Array.from(logitsInt.subarray(i * C, (i + 1) * C)));
  }

  // ---- aggregation (exact) ----
  const aggInt = new Array<number>(C).fill(0);
  if (p.aggregation.kind === 'sum') {
    for (const probs of perFrameInt) probs.forEach((x, j) => (aggInt[j]! += x));
  } else {
    for (const probs of perFrameInt) aggInt[argmaxFirst(probs)]! += 1;
  }
  const label = argmaxFirst(aggInt);
  // the summed outputs are sfix values too, and the argmax compares them
  if (p.aggregation.kind === 'sum') ranges.push({ name: 'aggregate', op: 'sum', maxInt: maxAbs(Float64Array.from(aggInt)) });
  const scaleOut = (xs: number[]) => xs.map((x) => x / one);
  const aggregate = p.aggregation.kind === 'sum' ? scaleOut(aggInt) : aggInt;

  const layers = ranges.map((r) => (r.bits === undefined ? rangeRow(r.name, r.op, r.maxInt / one, limit) : integerRow(r.name, r.op, r.maxInt / one, r.bits, f)));
  const bounds = provenBounds(p, t, f);
  // a per-frame output is a probability unless it is the logits: at most 1, up to the
  // division's error (under 2 iterations + 2 units of 2^-bits, and the last truncation's unit)
  const perFrameBound = division ? 1 + 2 ** (4 - division.bits) + 2 ** -f : bounds.layers.get(p.model.layers[p.model.layers.length - 1]!.name)!;
  // MP-SPDZ's shift makes the exponentials sum to at most sfix's limit (and their rounding)
  const sumBound = p.frameOutput === 'softmax' ? limit + C / one : bounds.positiveScoreSum;
  for (const row of layers) {
    if (row.name === 'softmax sum') row.proven = sumBound;
    else if (row.name === 'aggregate') row.proven = n * perFrameBound;
    else row.proven = bounds.layers.get(row.name);
  }
  const suggestion = suggestPrecision(layers, ringFitOf(p));
  const proven = layers.filter((l) => l.bits === undefined).map((l) => l.proven);
  return {
    frames,
    logits,
    perFrame: perFrameInt.map(scaleOut),
    aggregate,
    label,
    layers,
    suggestion,
    narrower: suggestion ? undefined : narrowerPrecision(layers, p.target, p.video.range),
    ...(signal ? { signal: signal.lost ? { ...signal, suggestion: signalPrecision(p, signal.extraBits, proven) } : signal } : {}),
    precision: { f, k, ringBits, rounding, seed },
  };
}

/**
 * MP-SPDZ's exponentials for its softmax (ml.exp_for_softmax) on one frame's integer logits:
 * shifted by the largest logit less ln(2^(k-f-1)) plus ln C (each constant rounded to f bits,
 * as python's round does), 0 at or below -ln(2^(k-f-1)), else exp rounded to f bits (the
 * secure polynomial's own error is not emulated).
 */
function exponentials(u: ArrayLike<number>, f: number, k: number): number[] {
  const one = 2 ** f;
  const limit = Math.log(2 ** (k - f - 1));
  let max = -Infinity;
  for (let i = 0; i < u.length; i++) max = Math.max(max, u[i]!);
  const m = max - roundHalfEven(limit * one) + roundHalfEven(Math.log(u.length) * one);
  const floor = roundHalfEven(-limit * one);
  return Array.from(u, (x) => (x - m > floor ? roundHalfEven(Math.exp((x - m) / one) * one) : 0));
}

function scaleBy(a: Float64Array, s: number): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * s;
  return a;
}

function reluInPlace(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) if (a[i]! < 0) a[i] = 0;
}

/** Pooling as PpvcAvgPool2d / PpvcMaxPool2d compute it (padding: Keras' SAME). */
function pool(
  op: 'avgpool' | 'maxpool',
  x: Float64Array,
  n: number,
  inShape: number[],
  outShape: number[],
  size: [number, number],
  strides: [number, number],
  pads: [number, number],
  arith: Arithmetic,
): Float64Array {
  const [H, W, C] = inShape as [number, number, number];
  const [OH, OW] = outShape as [number, number, number];
  const out = poolWindows(op === 'maxpool' ? 'max' : 'sum', x, n, inShape, outShape, size, strides, pads);
  const factors = new Float64Array(OH * OW);
  let maxFactor = 0;
  for (let oy = 0; oy < OH; oy++)
    for (let ox = 0; ox < OW; ox++) {
      const [ya, yb] = windowSpan(oy, strides[0], pads[0], size[0], H);
      const [xa, xb] = windowSpan(ox, strides[1], pads[1], size[1], W);
      // cfix(1 / count): python's round(2^f / count)
      factors[oy * OW + ox] = arith.constant(1 / ((yb - ya) * (xb - xa)));
      maxFactor = Math.max(maxFactor, factors[oy * OW + ox]!);
    }
  if (op === 'maxpool') return out;
  // the window sums (exact) times the public constants, one truncation
  return arith.scale(out, (i) => factors[Math.floor(i / C) % (OH * OW)]!, maxFactor);
}

// ---------------------------------------------------------------------------------------------
// range analysis

/** Within this factor of the sfix limit a layer is reported. */
export const HEADROOM_FACTOR = 4;

export function rangeRow(name: string, op: string, maxAbsValue: number, limit: number, holder = 'sfix'): LayerRange {
  const ratio = maxAbsValue / limit;
  const row: LayerRange = { name, op, maxAbs: maxAbsValue, limit, ratio };
  if (ratio >= 1) {
    row.warning = `overflow: values reach ${fmt(maxAbsValue)}, beyond the +-${fmt(limit)} ${holder} holds; the secure program's results are undefined`;
  } else if (ratio * HEADROOM_FACTOR >= 1) {
    row.warning = `within a factor of ${HEADROOM_FACTOR} of overflow: values reach ${fmt(maxAbsValue)} of +-${fmt(limit)}`;
  }
  return row;
}

/**
 * A value held in an integer of `bits` bits with f fractional ones (the softmax's sum): below
 * 2^(bits - f). Its bits hold the largest sum of values sfix holds, so it comes near them only
 * with the logits near theirs (reported there), and beyond them only with logits beyond theirs.
 */
export function integerRow(name: string, op: string, maxAbsValue: number, bits: number, f: number): LayerRange {
  const row: LayerRange = { ...rangeRow(name, op, maxAbsValue, 2 ** (bits - f), `${bits}-bit integer`), bits };
  if (row.ratio < 1) delete row.warning;
  return row;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : String(Number(x.toPrecision(6)));
}

/**
 * A precision that gives every layer the headroom factor: k - f - 1 integer bits covering 4x
 * the largest value, f kept if the ring still holds it (ring-fit.ts), else f reduced (not
 * below 8), else a larger ring. Undefined when the current precision already has the headroom.
 */
export function suggestPrecision(layers: LayerRange[], target: RingFitTarget): PrecisionSuggestion | undefined {
  // the softmax's sum has bits of its own, which grow with k
  const sfixRows = layers.filter((l) => l.bits === undefined);
  const worst = sfixRows.reduce((a, b) => (b.ratio > a.ratio ? b : a), sfixRows[0]!);
  if (!worst || worst.ratio * HEADROOM_FACTOR < 1) return undefined;
  const intBits = Math.max(1, Math.ceil(Math.log2(worst.maxAbs * HEADROOM_FACTOR)));
  const { f, ringBits } = target;
  const k = f + 1 + intBits;
  const statement = (ff: number, kk: number, rr: number) => `${rr !== target.ringBits ? `ring ${rr}  ` : ''}precision ${ff} ${kk}`;
  const why = `'${worst.name}' reaches ${fmt(worst.maxAbs)}: ${intBits} integer bits give it a factor of ${HEADROOM_FACTOR} headroom`;
  const rule = target.exactSoftmax ? '2k <= ring bits' : 'k + f < ring bits';
  if (fitsRing({ ...target, k })) return { f, k, ringBits, statement: statement(f, k, ringBits), reason: why };
  // the largest f with k = f + 1 + intBits inside the ring
  let fitF = target.exactSoftmax ? Math.floor(ringBits / 2) - 1 - intBits : Math.floor((ringBits - 2 - intBits) / 2);
  // the softmax's sum of many classes may need a smaller k still
  while (fitF >= 8 && !fitsRing({ ...target, f: fitF, k: fitF + 1 + intBits })) fitF--;
  if (fitF >= 8) {
    const fitK = fitF + 1 + intBits;
    return { f: fitF, k: fitK, ringBits, statement: statement(fitF, fitK, ringBits), reason: `${why}; a ${ringBits}-bit ring needs ${rule}, so f drops to ${fitF}` };
  }
  // the stock builds' rings first (64, then 128: ring-fit.ts, protocols.ts)
  let bigger = ringBits < 64 ? 64 : 128;
  while (!fitsRing({ ...target, k, ringBits: bigger })) bigger *= 2;
  return { f, k, ringBits: bigger, statement: statement(f, k, bigger), reason: `${why}; that needs a ${bigger}-bit ring (${rule}), i.e. party programs built for it` };
}

/**
 * The smallest k (at least 2 bits below the pipeline's) whose limit holds every measured value
 * with the headroom factor, f unchanged. A secure comparison (every ReLU, the argmax, the
 * division's normalisation) works on k bits and its cost grows with k (about 0.5 byte per bit
 * and party under replicated-ring, docs/performance.md), while products and truncations cost
 * the same at any k. `proven` says whether the interval bounds of every layer fit k too, i.e.
 * whether k holds for any video in the declared range and not only for the one simulated.
 */
export function narrowerPrecision(every: LayerRange[], target: { f: number; k: number }, range: [number, number]): NarrowerPrecision | undefined {
  // the softmax's sum has bits of its own, which follow k
  const layers = every.filter((l) => l.bits === undefined);
  const worst = layers.reduce((a, b) => (b.maxAbs > a.maxAbs ? b : a), layers[0]!);
  if (!worst) return undefined;
  const intBits = Math.max(1, Math.ceil(Math.log2(worst.maxAbs * HEADROOM_FACTOR)));
  const k = target.f + 1 + intBits;
  if (k > target.k - 2) return undefined;
  const limit = 2 ** intBits;
  // a comparison of two values (max pooling, argmax, a capped ReLU) works on their difference:
  // proven needs every bound below half the limit
  const half = limit / 2;
  const unbounded = layers.filter((l) => l.proven === undefined).map((l) => l.name);
  const over = layers.filter((l) => l.proven !== undefined && l.proven >= half).sort((a, b) => b.proven! - a.proven!);
  const proven = unbounded.length === 0 && over.length === 0;
  const measured = `'${worst.name}' reaches ${fmt(worst.maxAbs)} on the inputs simulated: ${intBits} integer bits give it a factor of ${HEADROOM_FACTOR} headroom, and every secure comparison works on ${k} instead of ${target.k} bits`;
  const anyVideo = `any video in [${range[0]}, ${range[1]}]`;
  let proof: string;
  if (proven) proof = `proven for ${anyVideo}: every interval bound stays below ${half}, half the +-${limit} that k = ${k} holds (comparisons work on differences)`;
  else if (over.length > 0) proof = `measured, not proven: for ${anyVideo} the interval bounds reach ${fmt(over[0]!.proven!)} ('${over[0]!.name}'), where k = ${k} needs them below ${half} (half its +-${limit}: comparisons work on differences); check other inputs before using it`;
  else proof = `the layers are proven for ${anyVideo}, but ${unbounded.map((n) => `'${n}'`).join(' and ')} depends on how small the scores get: measured only`;
  return { k, statement: `precision ${target.f} ${k}`, proven, reason: `${measured}; ${proof}` };
}
