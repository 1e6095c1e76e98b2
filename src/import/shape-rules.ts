// Output shapes and parameter tensors of normalized layers, shared by every importer.
// Shapes are per example and follow the layer's own data_format; parameters are in Keras
// weight order and Keras layout (kernels [kh, kw, in, out] whatever the data_format).
import { windowOutput } from '../ir/shapes.js';
import type { DataFormat, ImportedOp, ImportedParam, LayerConfig } from './imported-model.js';
import { product } from './imported-model.js';

export type Inferred = { outputShape: number[]; params: ImportedParam[] } | { error: string };

/** The operations that compute on [h, w, c] (or [c, h, w]) images. */
export const SPATIAL_OPS: readonly ImportedOp[] = [
  'conv2d',
  'depthwise_conv2d',
  'separable_conv2d',
  'maxpool',
  'avgpool',
  'global_avgpool',
  'global_maxpool',
  'zeropad2d',
  'crop2d',
  'upsample2d',
];

const ELEMENTWISE_TF_OPS = new Set(['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'BiasAdd', 'SquaredDifference']);
const UNARY_TF_OPS = new Set(['Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Sqrt', 'Square', 'Exp', 'Neg', 'Identity', 'Elu', 'Selu', 'Softplus']);

interface Image {
  h: number;
  w: number;
  c: number;
  make(h: number, w: number, c: number): number[];
}

function image(shape: number[] | undefined, fmt: DataFormat | undefined): Image | undefined {
  if (!shape || shape.length !== 3) return undefined;
  if (fmt === 'channels_first') {
    const [c, h, w] = shape as [number, number, number];
    return { h, w, c, make: (h2, w2, c2) => [c2, h2, w2] };
  }
  const [h, w, c] = shape as [number, number, number];
  return { h, w, c, make: (h2, w2, c2) => [h2, w2, c2] };
}

function param(name: string, shape: number[]): ImportedParam {
  return { name, shape };
}

function fmtShape(s: number[] | undefined): string {
  return s ? `[${s.join(', ')}]` : '(none)';
}

/** What a shape rule reads: the op's config and input shapes, with the checks most rules share. */
interface RuleInput {
  op: ImportedOp;
  cfg: LayerConfig;
  inShapes: number[][];
  /** The first input's shape. */
  x: number[] | undefined;
  /** Why the layer does not have exactly one input, if it does not. */
  needOne(): string | undefined;
  /** The one input as an image, or why it is not one. */
  needImage(): Image | string;
  /** The output height and width of a window (kernel or pool) over the image, or why it does not fit. */
  windows(img: Image, k: [number, number], s: [number, number], d?: [number, number]): [number, number] | string;
}

type ShapeRule = (r: RuleInput) => Inferred;

export function inferLayer(op: ImportedOp, cfg: LayerConfig, inShapes: number[][]): Inferred {
  return SHAPE_RULES[op](ruleInput(op, cfg, inShapes));
}

function ruleInput(op: ImportedOp, cfg: LayerConfig, inShapes: number[][]): RuleInput {
  const x = inShapes[0];
  const needOne = (): string | undefined => (inShapes.length === 1 ? undefined : `expects one input, has ${inShapes.length}`);
  const needImage = (): Image | string => {
    const bad = needOne();
    if (bad) return bad;
    const img = image(x, cfg.data_format);
    return img ?? `needs an image input ([h, w, c] or [c, h, w]), found ${fmtShape(x)}`;
  };
  const windows = (img: Image, k: [number, number], s: [number, number], d: [number, number] = [1, 1]): [number, number] | string => {
    const kh = (k[0] - 1) * d[0] + 1;
    const kw = (k[1] - 1) * d[1] + 1;
    const h = windowOutput(img.h, kh, s[0], cfg.padding ?? 'valid');
    const w = windowOutput(img.w, kw, s[1], cfg.padding ?? 'valid');
    if (h < 1 || w < 1) return `the ${k[0]}x${k[1]} window does not fit the ${img.h}x${img.w} input`;
    return [h, w];
  };
  return { op, cfg, inShapes, x, needOne, needImage, windows };
}

const inputLayerShape: ShapeRule = ({ cfg }) => {
  return cfg.input_shape ? { outputShape: cfg.input_shape, params: [] } : { error: 'no input shape' };
};

const conv2dShape: ShapeRule = ({ cfg, needImage, windows }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  const groups = cfg.groups ?? 1;
  const filters = cfg.filters!;
  if (img.c % groups !== 0 || filters % groups !== 0) return { error: `groups=${groups} does not divide ${img.c} input channels and ${filters} filters` };
  const hw = windows(img, cfg.kernel!, cfg.strides!, cfg.dilation);
  if (typeof hw === 'string') return { error: hw };
  const params = [param('kernel', [cfg.kernel![0], cfg.kernel![1], img.c / groups, filters])];
  if (cfg.use_bias) params.push(param('bias', [filters]));
  return { outputShape: img.make(hw[0], hw[1], filters), params };
};

const depthwiseConv2dShape: ShapeRule = ({ cfg, needImage, windows }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  const dm = cfg.depth_multiplier ?? 1;
  const hw = windows(img, cfg.kernel!, cfg.strides!, cfg.dilation);
  if (typeof hw === 'string') return { error: hw };
  const params = [param('depthwise_kernel', [cfg.kernel![0], cfg.kernel![1], img.c, dm])];
  if (cfg.use_bias) params.push(param('bias', [img.c * dm]));
  return { outputShape: img.make(hw[0], hw[1], img.c * dm), params };
};

const separableConv2dShape: ShapeRule = ({ cfg, needImage, windows }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  const dm = cfg.depth_multiplier ?? 1;
  const filters = cfg.filters!;
  const hw = windows(img, cfg.kernel!, cfg.strides!, cfg.dilation);
  if (typeof hw === 'string') return { error: hw };
  const params = [param('depthwise_kernel', [cfg.kernel![0], cfg.kernel![1], img.c, dm]), param('pointwise_kernel', [1, 1, img.c * dm, filters])];
  if (cfg.use_bias) params.push(param('bias', [filters]));
  return { outputShape: img.make(hw[0], hw[1], filters), params };
};

const denseShape: ShapeRule = ({ cfg, x, needOne }) => {
  const bad = needOne();
  if (bad) return { error: bad };
  // Keras applies Dense to the last axis of any input.
  const units = cfg.units!;
  const params = [param('kernel', [x![x!.length - 1]!, units])];
  if (cfg.use_bias) params.push(param('bias', [units]));
  return { outputShape: [...x!.slice(0, -1), units], params };
};

const elementwiseShape: ShapeRule = ({ x, needOne }) => {
  const bad = needOne();
  return bad ? { error: bad } : { outputShape: x!, params: [] };
};

const poolShape: ShapeRule = ({ cfg, needImage, windows }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  const hw = windows(img, cfg.pool!, cfg.strides!);
  if (typeof hw === 'string') return { error: hw };
  return { outputShape: img.make(hw[0], hw[1], img.c), params: [] };
};

const globalPoolShape: ShapeRule = ({ cfg, needImage }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  return { outputShape: cfg.keepdims ? img.make(1, 1, img.c) : [img.c], params: [] };
};

const padOrCropShape: ShapeRule = ({ op, cfg, x, needImage }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  const [[t, b], [l, r]] = (op === 'zeropad2d' ? cfg.zero_padding : cfg.cropping)!;
  const sign = op === 'zeropad2d' ? 1 : -1;
  const h = img.h + sign * (t + b);
  const w = img.w + sign * (l + r);
  if (h < 1 || w < 1) return { error: `cropping ${t}+${b} rows and ${l}+${r} columns leaves nothing of the ${img.h}x${img.w} input` };
  return { outputShape: img.make(h, w, img.c), params: [] };
};

const upsample2dShape: ShapeRule = ({ cfg, needImage }) => {
  const img = needImage();
  if (typeof img === 'string') return { error: img };
  return { outputShape: img.make(img.h * cfg.size![0], img.w * cfg.size![1], img.c), params: [] };
};

const flattenShape: ShapeRule = ({ x, needOne }) => {
  const bad = needOne();
  return bad ? { error: bad } : { outputShape: [product(x!)], params: [] };
};

const reshapeShape: ShapeRule = ({ cfg, x, needOne }) => {
  const bad = needOne();
  if (bad) return { error: bad };
  const target = cfg.target_shape!;
  const size = product(x!);
  const free = target.filter((d) => d === -1).length;
  const known = product(target.filter((d) => d !== -1));
  if (free > 1 || target.some((d) => d === 0 || d < -1) || (free === 1 ? size % known !== 0 : known !== size)) {
    return { error: `cannot reshape ${fmtShape(x)} (${size} values) to ${fmtShape(target)}` };
  }
  return { outputShape: target.map((d) => (d === -1 ? size / known : d)), params: [] };
};

const permuteShape: ShapeRule = ({ cfg, x, needOne }) => {
  const bad = needOne();
  if (bad) return { error: bad };
  const dims = cfg.dims!;
  const sorted = [...dims].sort((a, b) => a - b);
  if (dims.length !== x!.length || sorted.some((d, i) => d !== i + 1)) return { error: `dims ${fmtShape(dims)} is not a permutation of the ${x!.length} axes` };
  return { outputShape: dims.map((d) => x![d - 1]!), params: [] };
};

const batchnormShape: ShapeRule = ({ cfg, x, needOne }) => {
  const bad = needOne();
  if (bad) return { error: bad };
  const axis = cfg.axis!;
  if (axis < 0 || axis >= x!.length) return { error: `axis ${axis} is out of range for ${fmtShape(x)}` };
  const n = x![axis]!;
  const params: ImportedParam[] = [];
  if (cfg.scale !== false) params.push(param('gamma', [n]));
  if (cfg.center !== false) params.push(param('beta', [n]));
  params.push(param('moving_mean', [n]), param('moving_variance', [n]));
  return { outputShape: x!, params };
};

const mergeShape: ShapeRule = ({ inShapes, x }) => {
  if (inShapes.length < 2) return { error: `merges at least two inputs, has ${inShapes.length}` };
  if (inShapes.some((s) => !sameShape(s, x!))) return { error: `its inputs have different shapes: ${inShapes.map(fmtShape).join(', ')}` };
  return { outputShape: x!, params: [] };
};

const concatenateShape: ShapeRule = ({ cfg, inShapes, x }) => {
  if (inShapes.length < 2) return { error: `concatenates at least two inputs, has ${inShapes.length}` };
  const axis = cfg.axis!;
  const ok = inShapes.every((s) => s.length === x!.length && s.every((d, i) => i === axis || d === x![i]));
  if (!ok || axis < 0 || axis >= x!.length) return { error: `cannot concatenate ${inShapes.map(fmtShape).join(', ')} along axis ${axis}` };
  const out = [...x!];
  out[axis] = inShapes.reduce((s, t) => s + t[axis]!, 0);
  return { outputShape: out, params: [] };
};

const lambdaShape: ShapeRule = ({ cfg, x, needOne }) => {
  const bad = needOne();
  if (bad) return { error: bad };
  return { outputShape: cfg.target_shape ?? x!, params: [] };
};

const tfOpShape: ShapeRule = ({ op, cfg, inShapes }) => {
  const name = cfg.tf_op ?? '?';
  if (ELEMENTWISE_TF_OPS.has(name) || UNARY_TF_OPS.has(name)) {
    const out = broadcast(inShapes);
    return out ? { outputShape: out, params: [] } : { error: `cannot broadcast ${inShapes.map(fmtShape).join(', ')}` };
  }
  return { error: `the output shape of TensorFlow op '${name}' is unknown to the importer` };
};

const customShape: ShapeRule = ({ cfg, inShapes }) => {
  const like = cfg.like;
  if (!like || like === 'custom') return { error: 'no shape rule' };
  return inferLayer(like, cfg, inShapes);
};

/** The shape rule of each op: the output shape and the parameters' shapes, or why the input does not fit. */
const SHAPE_RULES: Record<ImportedOp, ShapeRule> = {
  input: inputLayerShape,
  conv2d: conv2dShape,
  depthwise_conv2d: depthwiseConv2dShape,
  separable_conv2d: separableConv2dShape,
  dense: denseShape,
  activation: elementwiseShape,
  relu: elementwiseShape,
  dropout: elementwiseShape,
  maxpool: poolShape,
  avgpool: poolShape,
  global_avgpool: globalPoolShape,
  global_maxpool: globalPoolShape,
  zeropad2d: padOrCropShape,
  crop2d: padOrCropShape,
  upsample2d: upsample2dShape,
  flatten: flattenShape,
  reshape: reshapeShape,
  permute: permuteShape,
  batchnorm: batchnormShape,
  add: mergeShape,
  merge: mergeShape,
  concatenate: concatenateShape,
  lambda: lambdaShape,
  tf_op: tfOpShape,
  custom: customShape,
};

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of per-example shapes. */
function broadcast(shapes: number[][]): number[] | undefined {
  if (shapes.length === 0) return undefined;
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1 && d !== 1 && v !== d) return undefined;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}
