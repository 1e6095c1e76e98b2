// The typed pipeline IR: everything the later passes, the reference evaluator and the
// emitters need, with every shape inferred and checked. Independent of the syntax.
import type { Span } from '../diagnostics.js';
import type { ProtocolName, Truncation } from '../target/protocols.js';
import type { OptimizationSet } from '../target/optimizations.js';

/** A per-frame tensor shape, without the batch dimension: [h, w, c] or [d]. */
export type Shape = number[];

export type Activation = 'linear' | 'relu';
export type Padding = 'valid' | 'same';

/** The name of the pipeline's input (the selected frames) in layer graphs. */
export const INPUT = 'input';

interface LayerBase {
  /** A unique, stable name (`conv2d_1`, or the label the user gave). */
  name: string;
  /** The layers whose outputs this one reads, by name (`input` for the frames). */
  inputs: string[];
  inShape: Shape;
  outShape: Shape;
  span?: Span;
}

/** A batch normalisation folded into a linear layer by passes/fold-batchnorm.ts. */
export interface FoldedBatchnorm {
  name: string;
  epsilon: number;
}

/** What a 2D convolution and a depthwise one share. */
interface ConvolutionFields extends LayerBase {
  kernel: [number, number];
  strides: [number, number];
  padding: Padding;
  useBias: boolean;
  activation: Activation;
  folded?: FoldedBatchnorm;
}

export interface Conv2DLayer extends ConvolutionFields {
  op: 'conv2d';
  filters: number;
}

/** Each input channel convolved with its own `multiplier` filters (Keras DepthwiseConv2D). */
export interface DepthwiseConv2DLayer extends ConvolutionFields {
  op: 'depthwise_conv2d';
  multiplier: number;
}

export interface DenseLayer extends LayerBase {
  op: 'dense';
  units: number;
  useBias: boolean;
  activation: Activation;
  folded?: FoldedBatchnorm;
}

export interface ReluLayer extends LayerBase {
  op: 'relu';
  /** ReLU6 and friends: min(max(x, 0), max). */
  max?: number;
}

/** Per-channel x * scale + shift: a batch normalisation with its statistics already applied. */
export interface BatchnormLayer extends LayerBase {
  op: 'batchnorm';
  epsilon: number;
}

/** Zero padding ([top, bottom, left, right]): public, costs nothing in MPC. */
export interface ZeroPadLayer extends LayerBase {
  op: 'zeropad';
  pad: [number, number, number, number];
}

/** A public crop ([top, bottom, left, right]). */
export interface CropLayer extends LayerBase {
  op: 'crop';
  crop: [number, number, number, number];
}

export interface GlobalPoolLayer extends LayerBase {
  op: 'global_avgpool' | 'global_maxpool';
}

/** Element-wise sum of its inputs (residual connections). */
export interface AddLayer extends LayerBase {
  op: 'add';
}

/** Concatenation along the channel (last) axis. */
export interface ConcatLayer extends LayerBase {
  op: 'concat';
}

/** A change of shape only (row-major, as Keras Reshape). */
export interface ReshapeLayer extends LayerBase {
  op: 'reshape';
}

/** Identity at inference (Dropout and Keras' noise layers). */
export interface DropoutLayer extends LayerBase {
  op: 'dropout';
}

export interface PoolLayer extends LayerBase {
  op: 'avgpool' | 'maxpool';
  pool: [number, number];
  strides: [number, number];
  padding: Padding;
}

export interface FlattenLayer extends LayerBase {
  op: 'flatten';
}

export type Layer =
  | Conv2DLayer
  | DepthwiseConv2DLayer
  | DenseLayer
  | ReluLayer
  | PoolLayer
  | FlattenLayer
  | BatchnormLayer
  | ZeroPadLayer
  | CropLayer
  | GlobalPoolLayer
  | AddLayer
  | ConcatLayer
  | ReshapeLayer
  | DropoutLayer;

export type LayerOp = Layer['op'];

/** One named parameter tensor of a layer, in the model owner's input file order. */
export interface ParamTensor {
  layer: string;
  name: 'kernel' | 'bias' | 'depthwise_kernel' | 'scale' | 'shift';
  shape: number[];
  /** How the values are laid out, for inputs.json and for the exporters. */
  layout: string;
}

export interface Party {
  name: string;
  id: number;
  span?: Span;
}

export interface VideoInput {
  name: string;
  owner: Party;
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** The value range the frames are normalised to (documented, checked on input). */
  range: [number, number];
}

export type FrameSelection =
  | { kind: 'oblivious'; count: number; chooser: Party }
  | { kind: 'public'; indices: number[] };

export interface Model {
  name: string;
  owner: Party;
  layers: Layer[];
  inputShape: Shape;
  outputShape: Shape;
  /** Where the architecture came from: written inline, or imported from a model file. */
  source: { kind: 'inline' } | { kind: 'file'; path: string };
}

export type FrameOutput = 'relu_normalized' | 'softmax' | 'logits';
export type AggregationKind = 'sum' | 'votes';

export interface Aggregation {
  kind: AggregationKind;
  /** The name the label is bound to (`label = argmax(sum)`): printed as `label: 3`. */
  labelName: string;
}

/** A value the program opens, and to whom. */
export interface Reveal {
  /** The label, or the aggregated per-class vector (`sum` or `votes`). */
  value: 'label' | 'scores';
  name: string;
  to: Party[];
}

/** How a product is scaled back to f fractional bits: a property of the target (target/protocols.ts). */
export type { Truncation } from '../target/protocols.js';

export interface Target {
  backend: 'mp-spdz';
  protocol: ProtocolName;
  ringBits: number;
  /** sfix precision: f fractional bits of k in all. */
  f: number;
  k: number;
  threads: number;
  truncation: Truncation;
  /** compile.py's optimisation budget (-b), or undefined for MP-SPDZ's default. */
  budget?: number;
  /** `bound NAME B`: every value of layer NAME (before its activation too) lies in (-B, B). */
  bounds: ValueBound[];
  /** The optimisations the program gets: the protocol's defaults, or --style / --opt. */
  optimizations: OptimizationSet;
  /** Whether the pipeline has a `target` statement (without one, every setting is the default). */
  declared?: boolean;
}

/**
 * Where target options a message suggests go: `options` (e.g. `precision 16 34`) in the
 * target statement, or, for a pipeline without one, the exact statement to add.
 */
export function inTargetStatement(t: Pick<Target, 'declared'>, options: string): string {
  if (t.declared !== false) return `${options} in the target statement`;
  return `${options} in a target statement, which the pipeline lacks: add the line 'target mp-spdz { ${options} }' at its end (one target statement holds every option)`;
}

/**
 * A declared bound on one layer's values, for any video in the declared range: the
 * comparisons that test those values (ReLU, max pooling) then work on the bits it needs
 * instead of precision's k (passes/narrow-comparisons.ts). The model owner's weights are
 * checked against it (simulate/declared-bounds.ts) before an input file is written or a run starts.
 */
export interface ValueBound {
  layer: string;
  value: number;
  span?: Span;
}

export interface Pipeline {
  name: string;
  sourcePath: string;
  parties: Party[];
  video: VideoInput;
  selection: FrameSelection;
  model: Model;
  frameOutput: FrameOutput;
  classes: number;
  aggregation: Aggregation;
  reveals: Reveal[];
  target: Target;
}

export function frameSize(v: VideoInput): number {
  return v.height * v.width * v.channels;
}

export function selectedFrames(p: Pipeline): number {
  return p.selection.kind === 'oblivious' ? p.selection.count : p.selection.indices.length;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The parameter tensors of a layer, in file order (kernel then bias), in Keras layout. */
export function layerParams(layer: Layer): ParamTensor[] {
  const fold = (l: { folded?: FoldedBatchnorm }) => (l.folded ? ` (batch normalisation '${l.folded.name}' folded in)` : '');
  switch (layer.op) {
    case 'conv2d': {
      const cin = layer.inShape[2]!;
      const out: ParamTensor[] = [
        { layer: layer.name, name: 'kernel', shape: [layer.kernel[0], layer.kernel[1], cin, layer.filters], layout: `row-major [kh, kw, in_channels, filters] (Keras Conv2D kernel)${fold(layer)}` },
      ];
      if (layer.useBias) out.push({ layer: layer.name, name: 'bias', shape: [layer.filters], layout: `[filters]${fold(layer)}` });
      return out;
    }
    case 'depthwise_conv2d': {
      const cin = layer.inShape[2]!;
      const out: ParamTensor[] = [
        { layer: layer.name, name: 'depthwise_kernel', shape: [layer.kernel[0], layer.kernel[1], cin, layer.multiplier], layout: `row-major [kh, kw, in_channels, multiplier] (Keras DepthwiseConv2D kernel; output channel c * multiplier + m)${fold(layer)}` },
      ];
      if (layer.useBias) out.push({ layer: layer.name, name: 'bias', shape: [cin * layer.multiplier], layout: `[in_channels * multiplier]${fold(layer)}` });
      return out;
    }
    case 'dense': {
      const out: ParamTensor[] = [
        { layer: layer.name, name: 'kernel', shape: [product(layer.inShape), layer.units], layout: `row-major [in, units] (Keras Dense kernel; inputs flattened h, w, c)${fold(layer)}` },
      ];
      if (layer.useBias) out.push({ layer: layer.name, name: 'bias', shape: [layer.units], layout: `[units]${fold(layer)}` });
      return out;
    }
    case 'batchnorm': {
      const c = layer.inShape[layer.inShape.length - 1]!;
      return [
        { layer: layer.name, name: 'scale', shape: [c], layout: '[channels]: gamma / sqrt(moving_variance + epsilon)' },
        { layer: layer.name, name: 'shift', shape: [c], layout: '[channels]: beta - moving_mean * scale' },
      ];
    }
    default:
      return [];
  }
}

export function modelParams(model: Model): ParamTensor[] {
  return model.layers.flatMap(layerParams);
}

export function parameterCount(model: Model): number {
  return modelParams(model).reduce((s, t) => s + product(t.shape), 0);
}
