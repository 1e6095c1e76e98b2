// Seeded synthetic inputs for tests and benchmarks: weights at the scales of a trained model
// (initTensor below: He-uniform with the right fan-in per layer kind, the output layer LeCun,
// batch normalisation as identity, residual branches scaled down, zero biases) and selection
// matrices.
import { frameSize, type Layer, type Pipeline } from '../ir/pipeline.js';
import type { InputPlan, InputTensor } from '../passes/plan-inputs.js';

/** A small, fast, seedable generator of uint32 values (mulberry32): the same seed gives the same numbers everywhere. */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform numbers in [0, 1) from seededUint32. */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}

/** Frame indices every `step` frames from 0 (the seed used every 15th), at most `count`. */
export function everyKth(frames: number, count: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count && i * step < frames; i++) out.push(i * step);
  return out;
}

/** `count` frames spread evenly over the video. */
export function evenlySpaced(frames: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * frames) / count));
}

/** The n x N 0/1 selection matrix, row-major, that picks `indices` in order. */
export function selectionMatrix(frames: number, indices: number[]): Float32Array {
  const m = new Float32Array(indices.length * frames);
  indices.forEach((f, row) => {
    m[row * frames + f] = 1;
  });
  return m;
}

/**
 * Keras' he_uniform, U(-sqrt(6/fan_in), +sqrt(6/fan_in)), with the fan-in read from the kernel's
 * shape as a dense or 2D convolution kernel ([in, units], [kh, kw, cin, filters]); zero biases.
 * Right for those kernels only: a depthwise kernel needs initTensor's per-kind fan-in.
 */
export function heUniform(t: InputTensor, rand: () => number): Float32Array {
  if (t.name.endsWith('.bias')) return new Float32Array(t.elements);
  return uniform(t.elements, Math.sqrt(6 / product(t.shape.slice(0, -1))), rand);
}

/** n values U(-limit, +limit), one draw each (the draw order is part of the file's determinism). */
function uniform(n: number, limit: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * limit;
  return out;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** How one parameter tensor is initialised (`rule` says which rule, for docs and tests). */
export type TensorInit = { kind: 'uniform'; limit: number; fanIn: number; rule: string } | { kind: 'constant'; value: number; rule: string };

/**
 * The inputs one output value of a layer sums over, i.e. what its kernel's variance must be
 * divided by: a 2D convolution sums kh*kw*cin inputs, a depthwise one only kh*kw (each output
 * channel reads one input channel: counting the channels too made MobileNet's depthwise
 * weights sqrt(C) too small and its activations vanish), a dense layer all its inputs.
 */
export function fanIn(layer: Layer): number {
  switch (layer.op) {
    case 'conv2d':
      return layer.kernel[0] * layer.kernel[1] * layer.inShape[2]!;
    case 'depthwise_conv2d':
      return layer.kernel[0] * layer.kernel[1];
    case 'dense':
      return product(layer.inShape);
    default:
      throw new Error(`${layer.name}: ${layer.op} has no kernel`);
  }
}

/**
 * The output layer: the last layer with a kernel. Its logits feed the softmax (or argmax) and
 * no ReLU, so it gets LeCun-uniform (variance 1/fan_in) instead of He's 2/fan_in: He's factor 2
 * makes up for a following ReLU discarding half the variance, which the logits never lose.
 * Logits then have the mean square of their inputs, of order one, as a trained model's.
 */
export function outputLayer(layers: readonly Layer[]): string | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const op = layers[i]!.op;
    if (op === 'conv2d' || op === 'depthwise_conv2d' || op === 'dense') return layers[i]!.name;
  }
  return undefined;
}

/**
 * Residual networks: the layer that ends each residual branch, and the factor 1/sqrt(L) its
 * output is scaled by (L: the number of residual sums). With batch normalisation as identity a
 * branch keeps its input's variance, so each sum x + f(x) doubles the trunk's and L sums grow it
 * 2^L times (the corpus's 20-block AlphaGo-Zero ResNet reached logits of rms 411, where a trained
 * one stays of order one). Scaling each branch by 1/sqrt(L), as Fixup initialisation does
 * (Zhang, Dauphin, Ma, ICLR 2019), bounds the growth by (1 + 1/L)^L < e.
 * The branch of a sum is every operand but the shallowest (the trunk: an identity shortcut, or a
 * projection shorter than the branch); its last layer with a scale is found by walking back
 * through single-input layers that commute with a positive scale (ReLU, dropout, padding, pooling).
 */
export function residualBranchScales(layers: readonly Layer[]): Map<string, number> {
  const sums = layers.filter((l) => l.op === 'add' && l.inputs.length > 1);
  const scales = new Map<string, number>();
  if (sums.length === 0) return scales;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const depth = layerDepths(layers);
  const factor = 1 / Math.sqrt(sums.length);
  for (const sum of sums) {
    const [, ...branches] = [...sum.inputs].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0));
    for (const branch of branches) {
      const end = scaledLayerOf(branch, byName);
      if (end) scales.set(end, Math.min(scales.get(end) ?? 1, factor));
    }
  }
  return scales;
}

/** Each layer's depth: the longest chain of layers from the input to it (the input is 0). */
function layerDepths(layers: readonly Layer[]): Map<string, number> {
  const depth = new Map<string, number>();
  for (const l of layers) depth.set(l.name, 1 + Math.max(0, ...l.inputs.map((i) => depth.get(i) ?? 0)));
  return depth;
}

const SCALED_OPS: ReadonlySet<string> = new Set(['batchnorm', 'conv2d', 'depthwise_conv2d', 'dense']);
const POSITIVELY_HOMOGENEOUS: ReadonlySet<string> = new Set(['relu', 'dropout', 'zeropad', 'crop', 'avgpool', 'maxpool']);

/** The nearest layer at or before `name` whose parameters scale its output, or none. */
function scaledLayerOf(name: string, byName: ReadonlyMap<string, Layer>): string | undefined {
  for (let layer = byName.get(name); layer; layer = byName.get(layer.inputs[0]!)) {
    if (SCALED_OPS.has(layer.op)) return layer.name;
    // ReLU6 clips at a fixed value, so scaling before it is not scaling after it
    if (!POSITIVELY_HOMOGENEOUS.has(layer.op) || layer.inputs.length !== 1 || (layer.op === 'relu' && layer.max !== undefined)) return undefined;
  }
  return undefined;
}

/**
 * The rule for one parameter tensor (`<layer>.<param>`): kernels He-uniform with the layer
 * kind's fan-in (LeCun for the output layer), biases 0, an unfolded batch normalisation as
 * identity (gamma 1, beta 0, mean 0, variance 1: scale 1, shift 0, the epsilon ignored so that
 * it is exactly the identity). A batch normalisation folded into a kernel is identity too: the
 * kernel is drawn as if unfolded and the folded bias is the zero beta. The layer ending a
 * residual branch has its scale (or, without one, its kernel) multiplied by `residual`'s factor.
 */
export function initTensor(t: InputTensor, layers: ReadonlyMap<string, Layer>, output?: string, residual: ReadonlyMap<string, number> = new Map()): TensorInit {
  const dot = t.name.lastIndexOf('.');
  const layer = layers.get(t.name.slice(0, dot));
  const param = t.name.slice(dot + 1);
  const branch = layer ? residual.get(layer.name) : undefined;
  const fixup = branch === undefined ? '' : `, times 1/sqrt(${Math.round(1 / branch ** 2)}) at the end of a residual branch`;
  if (param === 'bias') return { kind: 'constant', value: 0, rule: 'zero bias' };
  if (param === 'shift') return { kind: 'constant', value: 0, rule: 'batch normalisation as identity (beta 0, mean 0)' };
  if (param === 'scale') return { kind: 'constant', value: branch ?? 1, rule: `batch normalisation as identity (gamma 1, variance 1)${fixup}` };
  // a tensor of no known layer (never in a planned file): the old rule, fan-in from the shape
  const fan = layer ? fanIn(layer) : product(t.shape.slice(0, -1));
  const lecun = layer !== undefined && layer.name === output;
  const limit = Math.sqrt((lecun ? 3 : 6) / fan) * (branch ?? 1);
  return { kind: 'uniform', limit, fanIn: fan, rule: (lecun ? 'LeCun-uniform (output layer)' : `He-uniform (${layer?.op ?? 'kernel'})`) + fixup };
}

/** The values of one parameter tensor by its rule; constants draw nothing from `rand`. */
export function initValues(init: TensorInit, elements: number, rand: () => number): Float32Array {
  if (init.kind === 'uniform') return uniform(elements, init.limit, rand);
  return new Float32Array(elements).fill(init.value);
}

/**
 * Values for every tensor a party provides, in file order: parameters by initTensor, the given
 * frame indices as the selection matrix, and (for the video owner) `video` if provided.
 */
export function partyValues(
  plan: InputPlan,
  pipeline: Pipeline,
  party: number,
  opts: { seed: number; frames?: number[]; video?: Float32Array },
): Float32Array {
  const entry = plan.parties.find((p) => p.party === party);
  if (!entry) return new Float32Array(0);
  const out = new Float32Array(entry.elements);
  const rand = seededRandom(opts.seed);
  const layers = new Map(pipeline.model.layers.map((l) => [l.name, l]));
  const output = outputLayer(pipeline.model.layers);
  const residual = residualBranchScales(pipeline.model.layers);
  for (const t of entry.tensors) {
    let values: Float32Array;
    if (t.role === 'video') {
      if (opts.video) values = opts.video;
      else {
        values = new Float32Array(t.elements);
        for (let i = 0; i < values.length; i++) values[i] = rand();
      }
    } else if (t.role === 'selection') {
      const n = t.shape[0]!;
      const frames = opts.frames ?? evenlySpaced(pipeline.video.frames, n);
      values = selectionMatrix(pipeline.video.frames, frames);
    } else values = initValues(initTensor(t, layers, output, residual), t.elements, rand);
    if (values.length !== t.elements) throw new Error(`${t.name}: ${values.length} values for ${t.elements} elements`);
    out.set(values, t.offset);
  }
  return out;
}

/**
 * A video of the pipeline's shape, uniform in its declared range, from another stream of the
 * generator than the weights' (so that the same seed gives independent video and weights).
 */
export function randomVideo(p: Pipeline, seed: number): Float32Array {
  const [lo, hi] = p.video.range;
  const values = new Float32Array(p.video.frames * frameSize(p.video));
  const rand = seededRandom(seed ^ 0x5eed);
  for (let i = 0; i < values.length; i++) values[i] = lo + rand() * (hi - lo);
  return values;
}
