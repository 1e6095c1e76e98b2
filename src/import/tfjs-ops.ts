// The TensorFlow ops the graph-model importer understands (tfjs-graph.ts), one handler each:
// which layer a node becomes, its Keras-style config and the constants that hold its weights.
// An op without a handler is reported as not supported.
import type { ImportedLayer, ImportedOp, LayerConfig } from './imported-model.js';
import { show } from './json.js';
import type { Attrs } from './tfjs-attrs.js';

/** A compute node as a handler sees it: inputs already resolved through dropped nodes. */
export interface OpNode {
  op: string;
  a: Attrs;
  /** Inputs that are tensors computed by the graph, in order. */
  tensorIns: string[];
  /** Inputs that are constants, in order. */
  constIns: string[];
  inShapes: number[][];
  constShape(name: string | undefined): number[] | undefined;
  /** The values of an integer constant, or why they cannot be read. */
  intConst(name: string | undefined): number[] | string;
  /** A layer made so far, by name. */
  layer(name: string | undefined): ImportedLayer | undefined;
}

/** The layer a node becomes: `sources` name the constants of its parameters, in order; `relu6`: a ReLU6 follows (fused). */
export interface OpLayer {
  op: ImportedOp;
  config: LayerConfig;
  sources?: string[];
  relu6?: boolean;
}

/** A constant added to a layer's output that becomes the bias of that layer (no layer of its own). */
interface FoldedBias {
  biasOf: ImportedLayer;
  shape: number[];
  source: string;
}

export type OpHandler = (x: OpNode) => OpLayer | FoldedBias | { error: string };

const ACTIVATION_OPS: Record<string, string> = { Softmax: 'softmax', Sigmoid: 'sigmoid', Tanh: 'tanh', Elu: 'elu', Selu: 'selu', Softplus: 'softplus' };

const fail = (error: string) => ({ error });

/** fused_ops of _FusedConv2D / _FusedMatMul: [BiasAdd] optionally followed by an activation. */
function fusedOps(a: Attrs, fused: boolean): { bias: boolean; activation: string; relu6?: boolean } | string {
  if (!fused) return { bias: false, activation: 'linear' };
  const ops = a.strings('fused_ops') ?? [];
  if (ops[0] !== 'BiasAdd') return `fused ops [${ops.join(', ')}] are not supported (expected BiasAdd first)`;
  if (ops.length === 1) return { bias: true, activation: 'linear' };
  if (ops.length === 2) {
    // Relu6 becomes a separate ReLU layer with max_value 6, as Keras writes it.
    if (ops[1] === 'Relu6') return { bias: true, activation: 'linear', relu6: true };
    const act = ops[1] === 'Relu' ? 'relu' : ACTIVATION_OPS[ops[1]!] ?? ops[1]!.toLowerCase();
    return { bias: true, activation: act };
  }
  return `fused ops [${ops.join(', ')}] are not supported`;
}

const placeholder: OpHandler = ({ a }) => {
  const dims = a.shape('shape');
  if (!dims || dims.length < 2 || dims.slice(1).some((d) => d < 1)) return fail(`the input shape ${show(dims)} must be [batch, ...] with fixed sizes`);
  return { op: 'input', config: { input_shape: dims.slice(1) } };
};

const convolution: OpHandler = ({ op, a, constIns, constShape }) => {
  const filter = constIns[0];
  const k = constShape(filter);
  if (!k || k.length !== 4) return fail('needs a constant 4-d filter');
  const depthwise = op.includes('Depthwise');
  const fused = fusedOps(a, op.startsWith('_Fused') || op.startsWith('Fused'));
  if (typeof fused === 'string') return fail(fused);
  const nchw = a.string('data_format') === 'NCHW';
  const strides = a.ints('strides') ?? [1, 1, 1, 1];
  const dil = a.ints('dilations') ?? [1, 1, 1, 1];
  const pad = a.string('padding');
  if (pad !== 'SAME' && pad !== 'VALID') return fail(`padding '${pad}' is not supported (SAME or VALID)`);
  if (fused.bias && constIns.length < 2) return fail('BiasAdd is fused but there is no bias constant');
  const [sh, sw] = nchw ? [strides[2]!, strides[3]!] : [strides[1]!, strides[2]!];
  const [dh, dw] = nchw ? [dil[2]!, dil[3]!] : [dil[1]!, dil[2]!];
  const config: LayerConfig = {
    kernel: [k[0]!, k[1]!],
    strides: [sh, sw],
    padding: pad === 'SAME' ? 'same' : 'valid',
    dilation: [dh, dw],
    use_bias: fused.bias,
    activation: fused.activation,
    data_format: nchw ? 'channels_first' : 'channels_last',
  };
  if (depthwise) config.depth_multiplier = k[3]!;
  else config.filters = k[3]!;
  return { op: depthwise ? 'depthwise_conv2d' : 'conv2d', config, sources: [filter!, ...(fused.bias ? [constIns[1]!] : [])], relu6: fused.relu6 === true };
};

const matMul: OpHandler = ({ op, a, constIns, constShape }) => {
  const w = constIns[0];
  const k = constShape(w);
  if (!k || k.length !== 2) return fail('needs a constant 2-d weight matrix');
  if (a.bool('transpose_a') || a.bool('transpose_b')) return fail('transposed MatMul operands are not supported');
  const fused = fusedOps(a, op === '_FusedMatMul');
  if (typeof fused === 'string') return fail(fused);
  return { op: 'dense', config: { units: k[1]!, use_bias: fused.bias, activation: fused.activation }, sources: [w!, ...(fused.bias ? [constIns[1] ?? ''] : [])], relu6: fused.relu6 === true };
};

/** Two tensors added (a residual connection), or x + bias right after a layer without one: folded into that layer. */
const add: OpHandler = ({ tensorIns, constIns, constShape, layer }) => {
  if (constIns.length === 0) return { op: 'add', config: {} };
  const producer = layer(tensorIns[0]);
  const b = constShape(constIns[0])!;
  const channels = producer?.outputShape[producer.outputShape.length - 1];
  const foldable = producer && ['conv2d', 'depthwise_conv2d', 'dense'].includes(producer.op) && producer.config.use_bias === false && producer.config.activation === 'linear';
  if (!foldable || b.length !== 1 || b[0] !== channels || producer.config.data_format === 'channels_first') {
    return fail('adding a constant is only supported as the bias of the preceding convolution or MatMul');
  }
  return { biasOf: producer, shape: b, source: constIns[0]! };
};

const pooling: OpHandler = ({ op, a }) => {
  const nchw = a.string('data_format') === 'NCHW';
  const ks = a.ints('ksize');
  const st = a.ints('strides');
  const pad = a.string('padding');
  if (!ks || !st || ks.length !== 4 || st.length !== 4 || (pad !== 'SAME' && pad !== 'VALID')) return fail('needs 4-d ksize and strides and SAME or VALID padding');
  return {
    op: op === 'MaxPool' ? 'maxpool' : 'avgpool',
    config: {
      pool: nchw ? [ks[2]!, ks[3]!] : [ks[1]!, ks[2]!],
      strides: nchw ? [st[2]!, st[3]!] : [st[1]!, st[2]!],
      padding: pad === 'SAME' ? 'same' : 'valid',
      data_format: nchw ? 'channels_first' : 'channels_last',
    },
  };
};

/** Mean or Max over the two spatial axes of an NHWC batch: global pooling. */
const reduction: OpHandler = ({ op, a, constIns, inShapes, intConst }) => {
  const axes = intConst(constIns[0]);
  if (typeof axes === 'string') return fail(axes);
  if (inShapes[0]?.length !== 3 || axes.map((x) => (x < 0 ? x + 4 : x)).sort().join() !== '1,2') {
    return fail(`reducing over axes [${axes.join(', ')}] is not supported (only the spatial axes [1, 2], i.e. global pooling)`);
  }
  return { op: op === 'Mean' ? 'global_avgpool' : 'global_maxpool', config: { keepdims: a.bool('keep_dims') ?? false, data_format: 'channels_last' } };
};

const reshape: OpHandler = ({ constIns, intConst }) => {
  const shape = intConst(constIns[0]);
  if (typeof shape === 'string') return fail(shape);
  if (shape.length < 2 || (shape[0] !== -1 && shape[0] !== 1)) return fail(`the target shape [${shape.join(', ')}] must keep the batch axis first`);
  return { op: 'reshape', config: { target_shape: shape.slice(1) } };
};

const squeeze: OpHandler = ({ a, inShapes }) => {
  const dims = a.ints('squeeze_dims') ?? [];
  const x = inShapes[0] ?? [];
  const drop = new Set(dims.length > 0 ? dims.map((d) => (d < 0 ? d + x.length + 1 : d) - 1) : x.map((d, i) => (d === 1 ? i : -1)));
  return { op: 'reshape', config: { target_shape: x.filter((_, i) => !drop.has(i)) } };
};

const pad: OpHandler = ({ constIns, intConst }) => {
  const p = intConst(constIns[0]);
  if (typeof p === 'string') return fail(p);
  if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) return fail('only padding of the two spatial axes of an NHWC tensor is supported');
  return { op: 'zeropad2d', config: { zero_padding: [[p[2]!, p[3]!], [p[4]!, p[5]!]], data_format: 'channels_last' } };
};

const concat: OpHandler = ({ constIns, inShapes, intConst }) => {
  const axis = intConst(constIns[constIns.length - 1]);
  if (typeof axis === 'string') return fail(axis);
  const rank = inShapes[0]?.length ?? 0;
  return { op: 'concatenate', config: { axis: axis[0]! < 0 ? rank + axis[0]! : axis[0]! - 1 } };
};

const batchNorm: OpHandler = ({ a, constIns, inShapes }) => {
  if (constIns.length !== 4) return fail('needs constant scale, offset, mean and variance');
  return { op: 'batchnorm', config: { axis: (inShapes[0]?.length ?? 1) - 1, epsilon: a.float('epsilon') ?? 1e-3, center: true, scale: true }, sources: [...constIns] };
};

/** The handler of each supported op (a Map: an op named like an Object method must not find one). */
export const OP_HANDLERS: ReadonlyMap<string, OpHandler> = new Map<string, OpHandler>([
  ['Placeholder', placeholder],
  ['Conv2D', convolution],
  ['_FusedConv2D', convolution],
  ['DepthwiseConv2dNative', convolution],
  ['FusedDepthwiseConv2dNative', convolution],
  ['MatMul', matMul],
  ['_FusedMatMul', matMul],
  ['BiasAdd', add],
  ['Add', add],
  ['AddV2', add],
  ['Relu', () => ({ op: 'relu', config: {} })],
  ['Relu6', () => ({ op: 'relu', config: { max_value: 6 } })],
  ['LeakyRelu', ({ a }) => ({ op: 'relu', config: { negative_slope: a.float('alpha') ?? 0.2 } })],
  ['MaxPool', pooling],
  ['AvgPool', pooling],
  ['Mean', reduction],
  ['Max', reduction],
  ['Reshape', reshape],
  ['Squeeze', squeeze],
  ['Pad', pad],
  ['ConcatV2', concat],
  ['FusedBatchNorm', batchNorm],
  ['FusedBatchNormV3', batchNorm],
  ...Object.entries(ACTIVATION_OPS).map(([tfOp, activation]): [string, OpHandler] => [tfOp, () => ({ op: 'activation', config: { activation } })]),
]);
