// The typed pipeline IR: everything the later passes, the reference evaluator and the
// emitters need, with every shape inferred and checked. Independent of the syntax.
import type { Span } from '../diagnostics.js';
import type { ProtocolName } from '../backend/protocols.js';

/** A per-frame tensor shape, without the batch dimension: [h, w, c] or [d]. */
export type Shape = number[];

export type Activation = 'linear' | 'relu';
export type Padding = 'valid' | 'same';

interface LayerBase {
  /** A unique, stable name (`conv2d_1`, or the label the user gave). */
  name: string;
  inShape: Shape;
  outShape: Shape;
  span?: Span;
}

export interface Conv2DLayer extends LayerBase {
  op: 'conv2d';
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  padding: Padding;
  useBias: boolean;
  activation: Activation;
}

export interface DenseLayer extends LayerBase {
  op: 'dense';
  units: number;
  useBias: boolean;
  activation: Activation;
}

export interface ReluLayer extends LayerBase {
  op: 'relu';
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

export type Layer = Conv2DLayer | DenseLayer | ReluLayer | PoolLayer | FlattenLayer;

/** One named parameter tensor of a layer, in the model owner's input file order. */
export interface ParamTensor {
  layer: string;
  name: 'kernel' | 'bias';
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

export type Truncation = 'probabilistic' | 'exact';

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
  switch (layer.op) {
    case 'conv2d': {
      const cin = layer.inShape[2]!;
      const out: ParamTensor[] = [
        { layer: layer.name, name: 'kernel', shape: [layer.kernel[0], layer.kernel[1], cin, layer.filters], layout: 'row-major [kh, kw, in_channels, filters] (Keras Conv2D kernel)' },
      ];
      if (layer.useBias) out.push({ layer: layer.name, name: 'bias', shape: [layer.filters], layout: '[filters]' });
      return out;
    }
    case 'dense': {
      const out: ParamTensor[] = [
        { layer: layer.name, name: 'kernel', shape: [product(layer.inShape), layer.units], layout: 'row-major [in, units] (Keras Dense kernel; inputs flattened h, w, c)' },
      ];
      if (layer.useBias) out.push({ layer: layer.name, name: 'bias', shape: [layer.units], layout: '[units]' });
      return out;
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
