// Proven bounds on every layer's values: interval arithmetic over the model owner's actual
// weights, for ANY video whose values lie in the pipeline's declared range. The range analysis
// (fixed-point.ts) measures what one input reaches; these bounds say what no input in range can
// exceed, so a precision whose limit covers them holds for every video, not just the one
// simulated. They are usually loose (every weight's worst sign at once), so they prove a
// narrower precision only for shallow models, and say so when they cannot.
//
// Each tensor carries per-element [lo, hi] in real units. A linear layer's upper bound is
// sum(w+ * hi) + sum(w- * lo) + b (w+ = max(w, 0), w- = min(w, 0)), the lower one the other way
// round; zero padding contributes 0 as it does in the program. Fixed point is accounted for by
// using the weights and constants as the program holds them (rounded to f bits) and widening
// every truncated result by ROUNDING_SLACK units of 2^-f: the emulation's truncations are within
// one unit, and the secure program's Winograd convolutions are the direct ones
// (test/mp-spdz.test.ts). An average pooling's rounded divisor is a relative error, widened as such.
import type { Layer, Pipeline } from '../ir/pipeline.js';
import { INPUT, product } from '../ir/pipeline.js';
import { kerasPadding, mpSpdzConvPadding } from '../ir/shapes.js';
import { concatChannels, convGeometry, convRaw, copyWindow, denseRaw, depthwiseRaw, maxAbs, poolWindows } from './kernels.js';

const ROUNDING_SLACK = 16;

interface Interval {
  lo: Float64Array;
  hi: Float64Array;
}

export interface ProvenBounds {
  /** The largest |value| each layer can produce (pre-activation included), by layer name; INPUT for the frames. */
  layers: Map<string, number>;
  /** The largest sum of positive class scores (what the ReLU-normalised softmax divides by). */
  positiveScoreSum: number;
}

// Long: one case per layer op of the interval arithmetic, kept beside forwardLayers
// (simulate/fixed-point.ts), whose cases it follows one for one.
export function provenBounds(p: Pipeline, tensors: Map<string, ArrayLike<number>>, f: number): ProvenBounds {
  const one = 2 ** f;
  const slack = ROUNDING_SLACK / one;
  const v = p.video;
  const size = v.height * v.width * v.channels;
  // the frames are rounded to f bits on input: within half a unit of the declared range
  const input: Interval = {
    lo: new Float64Array(size).fill(v.range[0] - 0.5 / one),
    hi: new Float64Array(size).fill(v.range[1] + 0.5 / one),
  };
  const outputs = new Map<string, Interval>([[INPUT, input]]);
  const bounds = new Map<string, number>([[INPUT, magnitude(input)]]);
  const param = (l: Layer, name: string) => {
    const raw = tensors.get(`${l.name}.${name}`);
    if (!raw) throw new Error(`no parameter tensor ${l.name}.${name}`);
    // as the program reads them: round(w * 2^f), halves away from zero
    return Float64Array.from(raw, (w) => (Math.sign(w) * Math.round(Math.abs(w) * one)) / one);
  };

  for (const l of p.model.layers) {
    const ins = l.inputs.map((name) => outputs.get(name)!);
    const x = ins[0]!;
    const outSize = product(l.outShape);
    let y: Interval;
    let pre = 0;
    switch (l.op) {
      case 'conv2d':
      case 'depthwise_conv2d': {
        const Cout = l.outShape[2]!;
        const g = convGeometry(l, 1, l.op === 'conv2d' ? mpSpdzConvPadding(l) : kerasPadding(l));
        const w = param(l, l.op === 'conv2d' ? 'kernel' : 'depthwise_kernel');
        const multiplier = l.op === 'depthwise_conv2d' ? l.multiplier : 0;
        const run = (xx: Float64Array, ww: Float64Array, acc: Float64Array) =>
          multiplier ? depthwiseRaw(xx, ww, g, multiplier, acc) : convRaw(xx, ww, g, Cout, acc);
        // the bias is added before the one truncation
        const sum = linear(x, w, outSize, run, slack);
        y = l.useBias ? addBias(sum, param(l, 'bias')) : sum;
        pre = magnitude(y);
        if (l.activation === 'relu') y = relu(y);
        break;
      }
      case 'dense': {
        const dIn = product(l.inShape);
        const run = (xx: Float64Array, ww: Float64Array, acc: Float64Array) => denseRaw(xx, ww, 1, dIn, l.units, acc);
        // ml.Dense truncates x . W and then adds the bias: the value before the bias is an sfix too
        const product_ = linear(x, param(l, 'kernel'), outSize, run, slack);
        y = l.useBias ? addBias(product_, param(l, 'bias')) : product_;
        pre = Math.max(magnitude(product_), magnitude(y));
        if (l.activation === 'relu') y = relu(y);
        break;
      }
      case 'relu':
        // the cap is the constant round(max * 2^f) / 2^f: at most half a unit above max
        y = relu(x, l.max === undefined ? undefined : l.max + 0.5 / one);
        break;
      case 'avgpool':
      case 'maxpool':
        y = pool(x, l.inShape, l.outShape, l.pool, l.strides, kerasPadding({ ...l, kernel: l.pool }), l.op === 'avgpool' ? f : undefined);
        break;
      case 'global_avgpool':
      case 'global_maxpool': {
        const [h, w] = l.inShape as [number, number, number];
        y = pool(x, l.inShape, [1, 1, l.inShape[2]!], [h, w], [h, w], [0, 0], l.op === 'global_avgpool' ? f : undefined);
        break;
      }
      case 'batchnorm': {
        const C = l.inShape[l.inShape.length - 1]!;
        const scale = param(l, 'scale');
        const shift = param(l, 'shift');
        y = { lo: new Float64Array(outSize), hi: new Float64Array(outSize) };
        for (let i = 0; i < outSize; i++) {
          const s = scale[i % C]!;
          const a = s * x.lo[i]!;
          const b = s * x.hi[i]!;
          pre = Math.max(pre, Math.abs(a) + slack, Math.abs(b) + slack);
          y.lo[i] = Math.min(a, b) - slack + shift[i % C]!;
          y.hi[i] = Math.max(a, b) + slack + shift[i % C]!;
        }
        break;
      }
      case 'zeropad':
      case 'crop': {
        const [H, W, C] = l.inShape as [number, number, number];
        const [OH, OW] = l.outShape as [number, number, number];
        y = { lo: new Float64Array(outSize), hi: new Float64Array(outSize) };
        for (const side of ['lo', 'hi'] as const) {
          if (l.op === 'zeropad') copyWindow(x[side], [H, W, C], [0, 0], y[side], [OH, OW], [l.pad[0], l.pad[2]], [H, W], 1);
          else copyWindow(x[side], [H, W, C], [l.crop[0], l.crop[2]], y[side], [OH, OW], [0, 0], [OH, OW], 1);
        }
        break;
      }
      case 'add':
        y = { lo: x.lo.slice(), hi: x.hi.slice() };
        for (const other of ins.slice(1)) {
          for (let i = 0; i < outSize; i++) {
            y.lo[i] += other.lo[i]!;
            y.hi[i] += other.hi[i]!;
          }
        }
        break;
      case 'concat': {
        const C = l.outShape[l.outShape.length - 1]!;
        const side = (k: 'lo' | 'hi') =>
          concatChannels(
            ins.map((part) => ({ data: part[k], channels: (part.lo.length * C) / outSize })),
            outSize,
            C,
          );
        y = { lo: side('lo'), hi: side('hi') };
        break;
      }
      case 'flatten':
      case 'reshape':
      case 'dropout':
        y = x;
        break;
    }
    outputs.set(l.name, y);
    bounds.set(l.name, Math.max(pre, magnitude(y)));
  }
  const logits = outputs.get(p.model.layers[p.model.layers.length - 1]!.name)!;
  return {
    layers: bounds,
    positiveScoreSum: logits.hi.reduce((s, h) => s + Math.max(0, h), 0),
  };
}

/** Sums of products over intervals: the upper end takes each weight's worst sign, the lower the other; widened by one truncation. */
function linear(x: Interval, w: Float64Array, outSize: number, run: (x: Float64Array, w: Float64Array, acc: Float64Array) => void, slack: number): Interval {
  const pos = w.map((v) => (v > 0 ? v : 0));
  const neg = w.map((v) => (v < 0 ? v : 0));
  const lo = new Float64Array(outSize);
  const hi = new Float64Array(outSize);
  run(x.hi, pos, hi);
  run(x.lo, neg, hi);
  run(x.lo, pos, lo);
  run(x.hi, neg, lo);
  for (let i = 0; i < outSize; i++) {
    lo[i] -= slack;
    hi[i] += slack;
  }
  return { lo, hi };
}

function addBias(x: Interval, bias: Float64Array): Interval {
  const C = bias.length;
  return { lo: x.lo.map((v, i) => v + bias[i % C]!), hi: x.hi.map((v, i) => v + bias[i % C]!) };
}

function relu(x: Interval, max?: number): Interval {
  const clamp = (v: number) => Math.min(Math.max(v, 0), max ?? Infinity);
  return { lo: x.lo.map(clamp), hi: x.hi.map(clamp) };
}

/**
 * Average and max pooling both stay within the lowest and highest bound of their window (padding
 * is not averaged in). An average (`f` given) is the window sum times cfix(1/count), rounded to
 * f bits: within count * 2^-(f+1) of the true factor, then one truncation.
 */
function pool(
  x: Interval,
  inShape: number[],
  outShape: number[],
  size: [number, number],
  strides: [number, number],
  pads: [number, number],
  f?: number,
): Interval {
  const hi = poolWindows('max', x.hi, 1, inShape, outShape, size, strides, pads);
  const lo = poolWindows(
    'max',
    x.lo.map((v) => -v),
    1,
    inShape,
    outShape,
    size,
    strides,
    pads,
  ).map((v) => -v);
  if (f !== undefined) {
    const relative = size[0] * size[1] * 2 ** -(f + 1);
    const slack = ROUNDING_SLACK * 2 ** -f;
    for (let i = 0; i < lo.length; i++) {
      lo[i] -= Math.abs(lo[i]!) * relative + slack;
      hi[i] += Math.abs(hi[i]!) * relative + slack;
    }
  }
  return { lo, hi };
}

function magnitude(x: Interval): number {
  return Math.max(maxAbs(x.lo), maxAbs(x.hi));
}
