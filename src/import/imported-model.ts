// The importers' common output: a normalized layer graph, independent of the file format
// (Keras JSON in its many dialects, TF.js layers or graph models). Shapes are per example
// (no batch dimension) and in the file's own layout (see `dataFormat`); parameters are
// listed in Keras weight order with Keras (TensorFlow) layouts.
import type { Diagnostic } from '../diagnostics.js';

export type DataFormat = 'channels_last' | 'channels_first';

/** Normalized operations. The comments say what ppvc-dsl makes of them (see support.ts). */
export type ImportedOp =
  | 'input'
  | 'conv2d'
  | 'depthwise_conv2d'
  | 'separable_conv2d'
  | 'dense'
  /** Activation / Softmax layers: `config.activation`. */
  | 'activation'
  /** ReLU layers: `config.max_value` (ReLU6), `negative_slope`, `threshold`. */
  | 'relu'
  | 'maxpool'
  | 'avgpool'
  | 'global_avgpool'
  | 'global_maxpool'
  | 'zeropad2d'
  | 'crop2d'
  | 'flatten'
  | 'reshape'
  /** Dropout and the other noise layers (GaussianNoise, SpatialDropout2D, ...): identity at inference. */
  | 'dropout'
  | 'batchnorm'
  | 'add'
  | 'concatenate'
  // Shape-only: ppvc-dsl rejects these, but their shapes are inferred so that a whole
  // model can still be analysed (and its other problems reported).
  /** Element-wise merges other than a sum (`config.mode`: mul, ave, max, min, sub). */
  | 'merge'
  | 'upsample2d'
  | 'permute'
  | 'lambda'
  /** A raw TensorFlow op wrapped as a layer (`config.tf_op`). */
  | 'tf_op'
  /** A custom (non-Keras) class with a known shape rule, such as QKeras QConv2D (`config.like`). */
  | 'custom';

export type Padding = 'valid' | 'same';
/** [[top, bottom], [left, right]] */
export type Padding2D = [[number, number], [number, number]];

/** Normalized layer settings; which fields are set depends on `op`. */
export interface LayerConfig {
  /** input: the per-example input shape. */
  input_shape?: number[];
  filters?: number;
  units?: number;
  kernel?: [number, number];
  strides?: [number, number];
  padding?: Padding;
  dilation?: [number, number];
  groups?: number;
  depth_multiplier?: number;
  use_bias?: boolean;
  /** Normalized activation name: linear, relu, softmax, sigmoid, tanh, elu, ... */
  activation?: string;
  /** Spatial layers: the layout this layer computes in (Keras `data_format` / Keras 1 `dim_ordering`). */
  data_format?: DataFormat;
  pool?: [number, number];
  keepdims?: boolean;
  max_value?: number;
  negative_slope?: number;
  threshold?: number;
  /** batchnorm, concatenate: 0-based axis into the per-example shape (Keras counts the batch axis; this does not). */
  axis?: number;
  epsilon?: number;
  momentum?: number;
  /** batchnorm: whether beta (center) and gamma (scale) exist. */
  center?: boolean;
  scale?: boolean;
  /** batchnorm, Keras 1 only: 0 uses the moving statistics at inference; 1 and 2 normalise with the sample's / batch's own. */
  keras1_mode?: number;
  /** zeropad2d. */
  zero_padding?: Padding2D;
  /** crop2d. */
  cropping?: Padding2D;
  /** reshape: the per-example target shape (-1 resolved). */
  target_shape?: number[];
  /** permute: 1-based permutation of the per-example axes, as Keras writes it. */
  dims?: number[];
  /** upsample2d. */
  size?: [number, number];
  interpolation?: string;
  /** dropout: the training-time rate (documentation only). */
  rate?: number;
  /** merge: mul, ave, max, min, sub. */
  mode?: string;
  /** tf_op: the TensorFlow op name (AddV2, Mul, ...). */
  tf_op?: string;
  /** custom: the standard op whose shape rule the class follows. */
  like?: ImportedOp;
  /** lambda: the output shape is an assumption (the function is opaque). */
  assumed_shape?: boolean;
  /**
   * dense, after a channels-first model was converted to channels-last (channels-last.ts):
   * the kernel's rows are still in the file's C,H,W flattening order of `shape`; the
   * row for (h, w, c) in the converted model is the file's row (c * H + h) * W + w.
   */
  input_order?: { layout: 'chw'; shape: [number, number, number] };
}

export interface ImportedParam {
  /** Keras weight name: kernel, bias, depthwise_kernel, pointwise_kernel, gamma, beta, moving_mean, moving_variance. */
  name: string;
  shape: number[];
  /** The tensor's name in the weights file, when the format names it (TF.js graph models). */
  source?: string;
}

export interface ImportedLayer {
  /** Unique within the model (a nested model's layer is prefixed `outer/` only if its name clashes). */
  name: string;
  /** The class as written in the file (Conv2D, Convolution2D, _FusedConv2D, ...). */
  className: string;
  op: ImportedOp;
  /** The producer layers, by name: the graph's edges (several for add / concatenate). */
  inputs: string[];
  config: LayerConfig;
  inputShapes: number[][];
  outputShape: number[];
  params: ImportedParam[];
  /** The nested models this layer sits in, outermost first (weight files group weights by them). */
  scope?: string[];
}

export type ModelFormat =
  | 'keras-json'
  | 'keras-json-double-encoded'
  | 'keras-get-config'
  | 'tfjs-layers'
  | 'tfjs-graph'
  | 'keras-h5'
  | 'keras-archive';

export interface ImportedModel {
  file: string;
  format: ModelFormat;
  name?: string;
  /** As the file gives it (`1.2.2`, `2.3.0-tf`, `tfjs-layers 1.3.1`); absent for Keras 3 to_json(). */
  kerasVersion?: string;
  /** Per example, no batch, in the file's layout (C first for channels_first models). */
  inputShape: number[];
  outputShape: number[];
  /** All parameters, trainable or not (BatchNormalization's moving statistics included). */
  parameterCount: number;
  /**
   * The layout of the spatial layers: ppvc-dsl computes channels-last, so a channels_first
   * model must go through toChannelsLast (channels-last.ts); a mixed one is rejected.
   */
  dataFormat: DataFormat | 'mixed';
  /** Topologically ordered (file order where possible); layers[0] is the input. */
  layers: ImportedLayer[];
  /** The name of the layer whose output is the model's output. */
  output: string;
}

export interface ImportResult {
  model?: ImportedModel;
  diagnostics: Diagnostic[];
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function countParams(layers: readonly ImportedLayer[]): number {
  return layers.reduce((s, l) => s + l.params.reduce((t, p) => t + product(p.shape), 0), 0);
}
