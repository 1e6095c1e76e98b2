// The CNN part of the generated program's first stage: one Python variable per layer object,
// named after its layer in the pipeline (python-names.ts), so that the wiring and the weights
// read as `pw.weights.input_from(...)` and `sum_layer.inputs = [pw, stem_relu]` rather than by
// list position; then the one list MP-SPDZ's ml.Optimizer runs.
import type { MpcLayer } from '../passes/lower-layers.js';
import type { HelperName } from './runtime/helpers.js';
import type { OptimizationSet } from '../target/optimizations.js';
import { winogradTile } from '../passes/winograd.js';
import { convolutionBlock, denseBlock, type Block } from '../passes/matrix-blocks.js';
import type { Target } from '../ir/pipeline.js';
import { LAYER_TIMER_BASE } from './timers.js';

/** What the layer part of the program needs to know. */
export interface LayerContext {
  layers: readonly MpcLayer[];
  /** Each layer's Python variable, by index (python-names.ts: `layerVariables`). */
  names: readonly string[];
  /** Frames in one pass through the CNN: all selected ones, or 1 frame after another. */
  batch: number;
  target: Target;
  opt: OptimizationSet;
  /** The party whose input the weights are. */
  owner: number;
  /** ml.py helpers the program uses (ml-patch.ts adds them to MP-SPDZ). */
  helpers: Set<HelperName>;
}

export const tuple = (xs: readonly number[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);
export const list = (xs: readonly number[]) => `[${xs.join(', ')}]`;
const pyPad = (p: 'valid' | 'same') => (p === 'same' ? '"SAME"' : '"VALID"');

/** Stage 1's CNN lines: the objects, the list, the edges, the raw bits, the parameters. */
export function layerSection(c: LayerContext): string[] {
  return [...layerObjects(c), ...layerEdges(c), ...rawBits(c), ...missingBiases(c), ...parameterInputs(c)];
}

/**
 * `name = ml.Layer(...)`, in the order they run (which is also the order MP-SPDZ allocates
 * their memory in: the same as when the list held the constructors), then the list for
 * ml.Optimizer. The comment says the
 * layer's name in the pipeline where the variable had to differ (python-names.ts), and what
 * a pass changed.
 */
function layerObjects(c: LayerContext): string[] {
  const out = ['# the CNN: one object per layer of the pipeline, named after it'];
  c.layers.forEach((l, i) => {
    const tile = l.kind === 'conv2d' ? winogradTile(l, c.batch, c.target) : undefined;
    const block = l.kind === 'conv2d' ? convolutionBlock(l, c.batch, c.target, tile) : l.kind === 'dense' ? denseBlock(l, c.batch, c.target) : undefined;
    const notes = [
      ...(tile && l.kind === 'conv2d' ? [`Winograd F(${tile.join('x')}, ${l.kernel.join('x')})`] : []),
      ...(block ? [`matrix products in blocks of ${block.join(' x ')}`] : []),
      ...(l.note ? [l.note] : []),
    ].join('; ');
    const comment = c.names[i] === l.from ? notes : `${l.from}${notes ? ` (${notes})` : ''}`;
    out.push(`${c.names[i]} = ${layerConstructor(l, c.batch, c.helpers, c.opt, { tile, block })}${comment ? `  # ${comment}` : ''}`);
  });
  // ml.Optimizer times layers[i] as timer 100 + i: said at each, MP-SPDZ's output names only the number
  out.push(`# the order ml.Optimizer runs them in, each with the timer it reports the layer's time under`);
  out.push('layers = [', ...c.names.map((name, i) => `    ${name},  # timer ${LAYER_TIMER_BASE + i}`), ']');
  return out;
}

/** The graph's edges that are not simply "the object before" (ml.Optimizer's default). */
function layerEdges(c: LayerContext): string[] {
  return c.layers.flatMap((l, i) => (i > 0 && (l.inputs.length !== 1 || l.inputs[0] !== i - 1) ? [`${c.names[i]}.inputs = [${l.inputs.map((j) => c.names[j]).join(', ')}]`] : []));
}

/** ReLUs and poolings that read a convolution's untruncated outputs (passes/trunc-after-pool.ts), each told its extra bits. */
function rawBits(c: LayerContext): string[] {
  const readers = c.layers.flatMap((l, i) => ((l.kind === 'avgpool' || l.kind === 'relu') && l.rawInput ? [i] : []));
  if (readers.length === 0) return [];
  /** The convolution whose raw outputs reach layer i, directly or through a raw ReLU. */
  const producer = (i: number): number => {
    const j = c.layers[i]!.inputs[0]!;
    const source = c.layers[j]!;
    return source.kind === 'relu' && source.rawInput ? producer(j) : j;
  };
  return ["# layers that read a convolution's untruncated outputs: its extra fractional bits", ...readers.map((i) => `${c.names[i]}.raw_bits = ${c.names[producer(i)]}.raw_bits`)];
}

/** ml.Dense always has a bias: a layer without one gets zeros (and reads no bias tensor). */
function missingBiases(c: LayerContext): string[] {
  return c.layers.flatMap((l, i) => (l.kind === 'dense' && !l.useBias ? [`${c.names[i]}.b.assign_all(0)  # ${l.from} has no bias`] : []));
}

/** Every parameter tensor, read once, in the order of inputs.json (the comment is its name there). */
function parameterInputs(c: LayerContext): string[] {
  const out = ['# parameters in Keras layout (conv: kh, kw, in, out; dense: in, out), each kernel then its bias;', '# one input round trip per tensor (a large budget keeps it from being split)'];
  c.layers.forEach((l, i) => {
    const read = (field: string, what: string) => out.push(`${c.names[i]}.${field}.input_from(${c.owner}, budget=INPUT_BUDGET)  # ${l.from}.${what}`);
    if (l.kind === 'conv2d' || l.kind === 'depthwise') {
      read('weights', l.kind === 'conv2d' ? 'kernel' : 'depthwise_kernel');
      if (l.useBias) read('bias', 'bias');
    } else if (l.kind === 'dense') {
      read('W', 'kernel');
      if (l.useBias) read('b', 'bias');
    } else if (l.kind === 'batchnorm') {
      read('scale', 'scale');
      read('shift', 'shift');
    }
  });
  return out;
}

const compareBits = (l: { compareBits?: number }) => (l.compareBits !== undefined ? `, compare_bits=${l.compareBits}` : '');

/** A convolution's Winograd output tile (passes/winograd.ts) and matrix-product block (passes/matrix-blocks.ts), where it has them. */
interface ConvolutionPlan {
  tile?: [number, number];
  block?: Block;
}

function layerConstructor(l: MpcLayer, n: number, helpers: Set<HelperName>, opt: OptimizationSet, plan: ConvolutionPlan = {}): string {
  const stock = !opt['vector-layers'];
  // MP-SPDZ's stock pooling layers pad only after the input, so SAME padding keeps ppvc-dsl's
  // layers even in the seed style
  if (stock && (l.kind === 'avgpool' || l.kind === 'maxpool') && l.padding === 'valid' && !l.relu && !(l.kind === 'avgpool' && l.rawInput) && l.compareBits === undefined) {
    const out = list([n, ...l.outShape]);
    if (l.kind === 'avgpool') return `ml.FixAveragePool2d(${list([n, ...l.inShape])}, ${out}, ${tuple(l.pool)}, ${tuple(l.strides)})`;
    return `ml.MaxPool(${list([n, ...l.inShape])}, strides=${tuple([1, ...l.strides, 1])}, ksize=${tuple([1, ...l.pool, 1])}, padding="VALID")`;
  }
  switch (l.kind) {
    case 'input':
      helpers.add('input');
      return `ml.PpvcInput(${list([n, ...l.shape])})`;
    case 'depthwise':
      helpers.add('depthwise');
      return `ml.PpvcDepthwiseConv2d(${list([n, ...l.inShape])}, kernel=${tuple(l.kernel)}, multiplier=${l.multiplier}, strides=${tuple(l.strides)}, padding=${pyPad(l.padding)}, output_shape=${list([n, ...l.outShape])}${l.useBias ? '' : ', bias=False'})`;
    case 'batchnorm':
      helpers.add('batchnorm');
      return `ml.PpvcBatchNorm(${list([n, ...l.shape])})`;
    case 'zeropad':
      helpers.add('reshape_ops');
      return `ml.PpvcZeroPad2d(${list([n, ...l.inShape])}, pad=${tuple(l.sides)})`;
    case 'crop':
      helpers.add('reshape_ops');
      return `ml.PpvcCrop2d(${list([n, ...l.inShape])}, crop=${tuple(l.sides)})`;
    case 'add':
      helpers.add('merge');
      return `ml.PpvcAdd(${list([n, ...l.shape])})`;
    case 'concat':
      helpers.add('merge');
      return `ml.PpvcConcat(${list([n, ...l.shape])})`;
    case 'conv2d': {
      const cin = l.inShape[2]!;
      const args = [
        `input_shape=${list([n, ...l.inShape])}`,
        `weight_shape=${tuple([l.kernel[0], l.kernel[1], cin, l.filters])}`,
        `bias_shape=${tuple([l.filters])}`,
        `output_shape=${list([n, ...l.outShape])}`,
        `stride=${tuple(l.strides)}`,
        `padding=${l.pads ? list(l.pads) : pyPad(l.padding)}`,
        'tf_weight_format=True',
      ];
      if (!l.useBias) args.push('bias=False');
      // untruncated outputs need ppvc-dsl's layers, even with stock layers otherwise
      if (l.raw) args.push('raw=True');
      // matrix products in blocks (passes/matrix-blocks.ts): the layer classes of matrix_conv.py and matrix_winograd.py
      const matrix = plan.block ? 'Matrix' : '';
      if (plan.block) args.push(`matrix_block=${tuple(plan.block)}`);
      if (plan.tile) {
        helpers.add(plan.block ? 'matrix_winograd' : 'winograd');
        return `ml.Ppvc${matrix}WinogradConv2d(${args.join(', ')}, tile=${tuple(plan.tile)})`;
      }
      if (stock && !l.raw) return `ml.FixConv2d(${args.join(', ')})`;
      helpers.add(plan.block ? 'matrix_conv' : 'conv');
      return `ml.Ppvc${matrix}Conv2d(${args.join(', ')})`;
    }
    case 'dense': {
      const activation = l.relu ? ', activation="relu"' : '';
      if (!plan.block) return `ml.Dense(${n}, ${l.dIn}, ${l.dOut}${activation})`;
      helpers.add('dense');
      return `ml.PpvcDense(${n}, ${l.dIn}, ${l.dOut}${activation}, matrix_block=${tuple(plan.block)})`;
    }
    case 'relu':
      if (stock && l.max === undefined && l.compareBits === undefined && !l.rawInput) return `ml.Relu(${list([n, ...l.shape])})`;
      helpers.add('relu');
      return `ml.PpvcRelu(${list([n, ...l.shape])}${l.max !== undefined ? `, max_value=${l.max}` : ''}${l.rawInput ? ', raw=True' : ''}${compareBits(l)})`;
    case 'avgpool':
      helpers.add('avgpool');
      return `ml.PpvcAvgPool2d(${list([n, ...l.inShape])}, ${tuple(l.pool)}, ${tuple(l.strides)}, ${pyPad(l.padding)}${l.relu ? ', relu=True' : ''}${l.rawInput ? ', raw=True' : ''}${compareBits(l)})`;
    case 'maxpool':
      helpers.add('maxpool');
      return `ml.PpvcMaxPool2d(${list([n, ...l.inShape])}, ${tuple(l.pool)}, ${tuple(l.strides)}, ${pyPad(l.padding)}${compareBits(l)})`;
  }
}

