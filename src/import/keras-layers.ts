// Keras layer classes -> normalized (op, config). One entry per class name, Keras 1 names
// (Convolution2D, Merge, ...) included; the shapes and parameters then come from the
// format-independent rules in shape-rules.ts.
import type { ConfigReader } from './config-reader.js';
import type { DataFormat, ImportedOp, LayerConfig, Padding2D } from './imported-model.js';
import { type Json, isArray, isObject, show, str } from './json.js';

export interface LayerContext {
  inShapes: number[][];
  /** The layout of the (first) input tensor, when an upstream layer fixed it. */
  inLayout: DataFormat | undefined;
}

export interface Normalized {
  op: ImportedOp;
  config: LayerConfig;
}

type Spec = (r: ConfigReader, ctx: LayerContext) => Normalized;

function conv(r: ConfigReader, ctx: LayerContext): LayerConfig {
  return {
    kernel: r.kernel(),
    strides: r.pair(['strides', 'subsample'], [1, 1]),
    padding: r.padding(),
    dilation: r.pair(['dilation_rate', 'atrous_rate'], [1, 1]),
    use_bias: r.bool(['use_bias', 'bias'], true),
    activation: r.activation(),
    data_format: r.dataFormat(ctx.inLayout),
  };
}

const conv2d: Spec = (r, ctx) => ({
  op: 'conv2d',
  config: { filters: r.positiveInt(['filters', 'nb_filter']), ...conv(r, ctx), groups: r.positiveInt('groups', 1) },
});

const depthwise: Spec = (r, ctx) => ({
  op: 'depthwise_conv2d',
  config: { depth_multiplier: r.positiveInt('depth_multiplier', 1), ...conv(r, ctx) },
});

const separable: Spec = (r, ctx) => ({
  op: 'separable_conv2d',
  config: { filters: r.positiveInt(['filters', 'nb_filter']), depth_multiplier: r.positiveInt('depth_multiplier', 1), ...conv(r, ctx) },
});

const dense: Spec = (r) => ({
  op: 'dense',
  config: { units: r.positiveInt(['units', 'output_dim']), use_bias: r.bool(['use_bias', 'bias'], true), activation: r.activation() },
});

function pool(op: 'maxpool' | 'avgpool'): Spec {
  return (r, ctx) => {
    const size = r.pair('pool_size', [2, 2]);
    // strides: null means "the pool size" in every Keras version.
    return { op, config: { pool: size, strides: r.pair(['strides', 'subsample'], size), padding: r.padding(), data_format: r.dataFormat(ctx.inLayout) } };
  };
}

function globalPool(op: 'global_avgpool' | 'global_maxpool'): Spec {
  return (r, ctx) => ({ op, config: { data_format: r.dataFormat(ctx.inLayout), keepdims: r.bool('keepdims', false) } });
}

const activation: Spec = (r) => ({ op: 'activation', config: { activation: r.activation() } });

const relu: Spec = (r) => ({
  op: 'relu',
  config: { max_value: r.number('max_value'), negative_slope: r.number('negative_slope', 0), threshold: r.number('threshold', 0) },
});

const identity: Spec = (r) => ({ op: 'dropout', config: { rate: r.number(['rate', 'p', 'stddev']) } });

/** ZeroPadding2D / Cropping2D amounts: n, [rows, cols] (Keras 1 and 2), or [[t, b], [l, r]]. */
function amounts(r: ConfigReader, key: string, fallback: number): Padding2D | undefined {
  const v = r.get(key)?.value ?? fallback;
  const nonNeg = (x: Json | undefined): x is number => Number.isInteger(x) && (x as number) >= 0;
  if (nonNeg(v)) return [[v, v], [v, v]];
  if (isArray(v) && v.length === 2 && v.every(nonNeg)) return [[v[0] as number, v[0] as number], [v[1] as number, v[1] as number]];
  if (isArray(v) && v.length === 2 && v.every((p) => isArray(p) && p.length === 2 && p.every(nonNeg))) {
    const [a, b] = v as [[number, number], [number, number]];
    return [[a[0], a[1]], [b[0], b[1]]];
  }
  // Keras 1 also allowed (top, bottom, left, right).
  if (isArray(v) && v.length === 4 && v.every(nonNeg)) return [[v[0] as number, v[1] as number], [v[2] as number, v[3] as number]];
  return r.problem(`${key} must be n, [rows, cols] or [[top, bottom], [left, right]], found ${show(v)}`);
}

function intList(r: ConfigReader, key: string, allowMinusOne: boolean): number[] | undefined {
  const v = r.get(key)?.value;
  if (!isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && ((d as number) > 0 || (allowMinusOne && d === -1)))) {
    return r.problem(`${key} must be a list of positive integers, found ${show(v)}`);
  }
  return v as number[];
}

const batchnorm: Spec = (r, ctx) => ({
  op: 'batchnorm',
  config: {
    axis: r.axis('axis', -1, ctx.inShapes[0]?.length ?? 1),
    epsilon: r.number('epsilon', 1e-3),
    momentum: r.number('momentum'),
    center: r.bool('center', true),
    scale: r.bool('scale', true),
    keras1_mode: r.number('mode'),
  },
});

const concatenate: Spec = (r, ctx) => ({ op: 'concatenate', config: { axis: r.axis(['axis', 'concat_axis'], -1, ctx.inShapes[0]?.length ?? 1) } });

function merge(mode: string): Spec {
  return () => ({ op: mode === 'sum' ? 'add' : 'merge', config: mode === 'sum' ? {} : { mode } });
}

/** Keras 1's Merge layer: the mode picks the operation. */
const kerasOneMerge: Spec = (r, ctx) => {
  const mode = r.string('mode', 'sum') ?? 'sum';
  if (mode === 'concat') return concatenate(r, ctx);
  if (['sum', 'mul', 'ave', 'max', 'min'].includes(mode)) return merge(mode)(r, ctx);
  r.problem(`Merge mode '${mode}' has no shape rule in the importer`);
  return { op: 'merge', config: { mode } };
};

const lambda: Spec = (r, ctx) => {
  // output_shape is a list only when the author gave a fixed one (Keras 1 excludes the batch axis).
  const v = r.get('output_shape')?.value;
  if (isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    return { op: 'lambda', config: { target_shape: v.length === (ctx.inShapes[0]?.length ?? 0) + 1 ? (v.slice(1) as number[]) : (v as number[]) } };
  }
  return { op: 'lambda', config: { assumed_shape: true } };
};

const tfOp: Spec = (r) => {
  const def = r.get('node_def')?.value;
  const op = isObject(def) ? str(def['op']) : undefined;
  return { op: 'tf_op', config: { tf_op: op ?? r.problem('node_def has no op') } };
};

function custom(like: Spec): Spec {
  return (r, ctx) => {
    const n = like(r, ctx);
    return { op: 'custom', config: { ...n.config, like: n.op } };
  };
}

const SPECS: Record<string, Spec> = {
  Conv2D: conv2d,
  Convolution2D: conv2d,
  AtrousConvolution2D: conv2d,
  DepthwiseConv2D: depthwise,
  SeparableConv2D: separable,
  SeparableConvolution2D: separable,
  Dense: dense,
  Activation: activation,
  Softmax: () => ({ op: 'activation', config: { activation: 'softmax' } }),
  ReLU: relu,
  LeakyReLU: (r) => ({ op: 'relu', config: { negative_slope: r.number(['negative_slope', 'alpha'], 0.3), threshold: 0 } }),
  ELU: () => ({ op: 'activation', config: { activation: 'elu' } }),
  MaxPooling2D: pool('maxpool'),
  MaxPool2D: pool('maxpool'),
  AveragePooling2D: pool('avgpool'),
  AvgPool2D: pool('avgpool'),
  GlobalAveragePooling2D: globalPool('global_avgpool'),
  GlobalAvgPool2D: globalPool('global_avgpool'),
  GlobalMaxPooling2D: globalPool('global_maxpool'),
  GlobalMaxPool2D: globalPool('global_maxpool'),
  ZeroPadding2D: (r, ctx) => ({ op: 'zeropad2d', config: { zero_padding: amounts(r, 'padding', 1), data_format: r.dataFormat(ctx.inLayout) } }),
  Cropping2D: (r, ctx) => ({ op: 'crop2d', config: { cropping: amounts(r, 'cropping', 0), data_format: r.dataFormat(ctx.inLayout) } }),
  UpSampling2D: (r, ctx) => ({
    op: 'upsample2d',
    config: { size: r.pair('size', [2, 2]), interpolation: r.string('interpolation', 'nearest'), data_format: r.dataFormat(ctx.inLayout) },
  }),
  // Flatten's data_format is not the tensor's layout: 'channels_first' asks Keras to
  // transpose to channels-last before flattening. Absent, it flattens in memory order.
  Flatten: (r) => ({ op: 'flatten', config: { data_format: r.dataFormat('channels_last') } }),
  Reshape: (r) => ({ op: 'reshape', config: { target_shape: intList(r, 'target_shape', true) } }),
  Permute: (r) => ({ op: 'permute', config: { dims: intList(r, 'dims', false) } }),
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  BatchNormalization: batchnorm,
  Add: merge('sum'),
  Subtract: merge('sub'),
  Multiply: merge('mul'),
  Average: merge('ave'),
  Maximum: merge('max'),
  Minimum: merge('min'),
  Concatenate: concatenate,
  Merge: kerasOneMerge,
  Lambda: lambda,
  TensorFlowOpLayer: tfOp,
  // QKeras: quantised variants with the shapes (and parameter counts) of their Keras twins.
  QConv2D: custom(conv2d),
  QDepthwiseConv2D: custom(depthwise),
  QSeparableConv2D: custom(separable),
  QDense: custom(dense),
  QActivation: custom(activation),
};

export function layerSpec(className: string): Spec | undefined {
  return Object.hasOwn(SPECS, className) ? SPECS[className] : undefined;
}
